package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// readResults reads JSON result lines, skipping blank ones.
func readResults(r io.Reader) ([]*result, error) {
	var out []*result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		res := &result{}
		if err := json.Unmarshal([]byte(text), res); err != nil {
			return nil, fmt.Errorf("result line %d: %w", line, err)
		}
		out = append(out, res)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}
	return out, nil
}

// mergeResults prints one result combining those of several processes
// that ran at the same time against the same servers.
func mergeResults(stdin io.Reader, stdout, stderr io.Writer) error {
	rs, err := readResults(stdin)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return errors.New("merge: no result on stdin")
	}
	m := &result{}
	for _, r := range rs {
		m.merge(r)
	}
	return emit(m, stdout, stderr)
}

// merge adds o to r: counts add up, durations take the longest, the
// slowest delivery of each broadcast is the slowest of any process.
func (r *result) merge(o *result) {
	if r.Label == "" {
		r.Label, r.Run = o.Label, o.Run
	}
	for _, s := range strings.Split(o.Scenario, ",") {
		if s != "" && !slices.Contains(strings.Split(r.Scenario, ","), s) {
			r.Scenario = strings.TrimPrefix(r.Scenario+","+s, ",")
		}
	}
	r.Clients += o.Clients
	r.Connect.merge(&o.Connect)
	if r.Server == nil {
		r.Server = o.Server
	}
	if o.Broadcast != nil {
		if r.Broadcast == nil {
			r.Broadcast = &broadcastResult{}
		}
		r.Broadcast.merge(o.Broadcast)
	}
	if o.Targeted != nil {
		if r.Targeted == nil {
			r.Targeted = &targetedResult{}
		}
		r.Targeted.merge(o.Targeted)
	}
	if o.Reload != nil {
		if r.Reload == nil {
			r.Reload = &reloadResult{}
		}
		r.Reload.merge(o.Reload)
	}
	r.Foreign += o.Foreign
	r.Errors = append(r.Errors, o.Errors...)
}

func (c *connectResult) merge(o *connectResult) {
	c.OK += o.OK
	c.Failed += o.Failed
	c.Dropped += o.Dropped
	c.ElapsedS = max(c.ElapsedS, o.ElapsedS)
	c.Hist = mergeHist(c.Hist, o.Hist)
}

func (b *broadcastResult) merge(o *broadcastResult) {
	b.Group = cmp.Or(b.Group, o.Group)
	b.Sent += o.Sent
	b.K = max(b.K, o.K)
	b.Expected += o.Expected
	b.Delivered += o.Delivered
	b.Dups += o.Dups
	for i, v := range o.LastMs {
		if i == len(b.LastMs) {
			b.LastMs = append(b.LastMs, 0)
		}
		b.LastMs[i] = max(b.LastMs[i], v)
	}
	b.Hist = mergeHist(b.Hist, o.Hist)
}

func (t *targetedResult) merge(o *targetedResult) {
	t.Batch = max(t.Batch, o.Batch)
	t.Requests += o.Requests
	t.OK += o.OK
	t.Offline += o.Offline
	t.Fail += o.Fail
	t.Errors += o.Errors
	t.Delivered += o.Delivered
	t.DurationS = max(t.DurationS, o.DurationS)
	t.DeliverS = max(t.DeliverS, o.DeliverS)
	t.APIHist = mergeHist(t.APIHist, o.APIHist)
	t.LatHist = mergeHist(t.LatHist, o.LatHist)
}

// merge adds the counts of o, another process's reloading page.
func (rl *reloadResult) merge(o *reloadResult) {
	if rl.UID == "" {
		rl.UID, rl.PushRate, rl.TTL, rl.EveryS, rl.GapS = o.UID, o.PushRate, o.TTL, o.EveryS, o.GapS
	}
	rl.Instances = max(rl.Instances, o.Instances)
	rl.DurationS, rl.TailS = max(rl.DurationS, o.DurationS), max(rl.TailS, o.TailS)
	rl.Published += o.Published
	rl.OK += o.OK
	rl.Offline += o.Offline
	rl.Fail += o.Fail
	rl.Errors += o.Errors
	rl.Received += o.Received
	rl.Unique += o.Unique
	rl.InClose += o.InClose
	rl.LostOKClosing += o.LostOKClosing
	rl.Reloads += o.Reloads
	rl.Dropped += o.Dropped
	rl.PageErrors += o.PageErrors
	rl.LatHist = mergeHist(rl.LatHist, o.LatHist)
}

func mergeHist(h, o *hist) *hist {
	if h == nil {
		h = &hist{}
	}
	if o != nil {
		h.Merge(o)
	}
	return h
}
