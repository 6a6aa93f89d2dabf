package main

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a latency histogram in microseconds with about 3% precision
// (32 sub-buckets per power of two), safe for concurrent Record and
// mergeable across processes through its JSON form.
type hist struct {
	counts [histBuckets]atomic.Int64
	max    atomic.Int64
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	// histBuckets covers values up to 2^40 µs, far beyond any timeout.
	histBuckets = (40 - histSubBits) * histSub
)

func bucketOf(us int64) int {
	if us < 2*histSub {
		return int(max(us, 0))
	}
	e := bits.Len64(uint64(us)) - histSubBits - 1
	return min(e*histSub+int(us>>e), histBuckets-1)
}

// bucketValue is the middle of a bucket's range, in microseconds.
func bucketValue(b int) float64 {
	if b < 2*histSub {
		return float64(b)
	}
	e := b/histSub - 1
	m := int64(b%histSub + histSub)
	lo, hi := m<<e, (m+1)<<e-1
	return float64(lo+hi) / 2
}

// Record adds one latency.
func (h *hist) Record(d time.Duration) {
	us := d.Microseconds()
	h.counts[bucketOf(us)].Add(1)
	storeMax(&h.max, us)
}

// storeMax raises a to v when v is larger.
func storeMax(a *atomic.Int64, v int64) {
	for {
		m := a.Load()
		if v <= m || a.CompareAndSwap(m, v) {
			return
		}
	}
}

// Count is the number of recorded values; a nil hist has none.
func (h *hist) Count() int64 {
	if h == nil {
		return 0
	}
	var n int64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// Quantile returns the q-th quantile (0 < q ≤ 1) in milliseconds, or 0
// when empty. The exact maximum is kept apart, so Quantile(1) is exact.
func (h *hist) Quantile(q float64) float64 {
	n := h.Count()
	if n == 0 {
		return 0
	}
	if q >= 1 {
		return float64(h.max.Load()) / 1000
	}
	rank := int64(q*float64(n) + 0.5)
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= max(rank, 1) {
			return min(bucketValue(i), float64(h.max.Load())) / 1000
		}
	}
	return float64(h.max.Load()) / 1000
}

// Merge adds o's values to h.
func (h *hist) Merge(o *hist) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	storeMax(&h.max, o.max.Load())
}

// histJSON is the sparse wire form: [[bucket, count], …] and the maximum.
type histJSON struct {
	Buckets [][2]int64 `json:"buckets"`
	MaxUS   int64      `json:"max_us"`
}

func (h *hist) MarshalJSON() ([]byte, error) {
	j := histJSON{Buckets: [][2]int64{}, MaxUS: h.max.Load()}
	for i := range h.counts {
		if c := h.counts[i].Load(); c != 0 {
			j.Buckets = append(j.Buckets, [2]int64{int64(i), c})
		}
	}
	return json.Marshal(j)
}

func (h *hist) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	for _, bc := range j.Buckets {
		if bc[0] < 0 || bc[0] >= histBuckets {
			return fmt.Errorf("histogram: bucket %d out of range", bc[0])
		}
		h.counts[bc[0]].Add(bc[1])
	}
	h.max.Store(j.MaxUS)
	return nil
}
