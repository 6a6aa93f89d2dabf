package main

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestHistQuantiles(t *testing.T) {
	h := &hist{}
	for i := 1; i <= 10000; i++ { // 1 µs … 10 ms, uniform
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, tc := range []struct {
		q, wantMs float64
	}{{0.5, 5}, {0.99, 9.9}, {1, 10}} {
		if got := h.Quantile(tc.q); math.Abs(got-tc.wantMs)/tc.wantMs > 0.03 {
			t.Errorf("Quantile(%v) = %v ms, want %v ms ± 3%%", tc.q, got, tc.wantMs)
		}
	}
	if h.Count() != 10000 {
		t.Errorf("Count = %d, want 10000", h.Count())
	}
	if (&hist{}).Quantile(0.5) != 0 || (*hist)(nil).Count() != 0 {
		t.Error("an empty histogram has no values")
	}
}

func TestHistBucketsCoverEveryValue(t *testing.T) {
	prev := -1
	for us := int64(0); us < 1<<20; us += 1 + us/97 {
		b := bucketOf(us)
		if b < prev {
			t.Fatalf("bucketOf(%d) = %d, below the bucket of a smaller value (%d)", us, b, prev)
		}
		if v := bucketValue(b); math.Abs(v-float64(us)) > float64(us)/histSub+1 {
			t.Fatalf("bucket %d of %d µs stands for %v µs", b, us, v)
		}
		prev = b
	}
	if b := bucketOf(math.MaxInt64); b != histBuckets-1 {
		t.Errorf("the largest value lands in bucket %d, want the last", b)
	}
}

func TestHistJSONAndMerge(t *testing.T) {
	a, b := &hist{}, &hist{}
	for i := range 100 {
		a.Record(time.Duration(i) * time.Millisecond)
		b.Record(time.Duration(i+100) * time.Millisecond)
	}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	back := &hist{}
	if err := json.Unmarshal(raw, back); err != nil {
		t.Fatal(err)
	}
	back.Merge(b)
	if back.Count() != 200 || back.Quantile(1) != 199 {
		t.Errorf("merged: %d values, max %v ms; want 200 values, max 199 ms", back.Count(), back.Quantile(1))
	}
	if got := back.Quantile(0.5); math.Abs(got-99.5) > 3 {
		t.Errorf("merged median %v ms, want about 99.5", got)
	}
	if err := json.Unmarshal([]byte(`{"buckets":[[999999,1]]}`), &hist{}); err == nil {
		t.Error("a bucket out of range was accepted")
	}
}
