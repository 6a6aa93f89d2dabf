package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/push"
)

// TestFanoutSendGroupCommit: the Sends that come while a pipeline is on
// its way (held there by CLIENT PAUSE) go together in the next one, each
// with its own answers and in the order they came; one whose own command
// fails (a hold on a key of the wrong type) fails alone, and one whose
// context ends while it waits leaves with nothing sent.
func TestFanoutSendGroupCommit(t *testing.T) {
	srv := redistest.Start(t)
	prefix := redistest.Prefix(t)
	pa := newTestPresence(t, srv.URL(), prefix, "a", 10*time.Second)
	join(t, pa, "u1")
	c, err := NewClient(srv.URL(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var pipelines atomic.Int64
	Observe(c, func(op string, _ time.Duration, _ error) {
		if op == "pipeline" {
			pipelines.Add(1)
		}
	})
	a, err := NewFanout(c, FanoutOptions{Prefix: prefix, UID: "a", Timeout: 5 * time.Second, Presence: pa}, &testLocal{name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, lb := startFanout(t, srv.URL(), prefix, "b")
	ctx := ctxFor(t)
	if err := c.Set(ctx, pa.keys.base+"held#bad", "not a list", 0).Err(); err != nil {
		t.Fatal(err)
	}
	send := func(i int) ([]push.Reach, error) {
		uids := []string{"u1", "u2"}
		var hold *adapter.Hold
		if i == 7 {
			uids = []string{"u1", "bad"}
			hold = &adapter.Hold{Held: adapter.Held{ID: "h7", Text: []byte(`2["new_msg","m7"]`)}, TTL: time.Minute}
		}
		return a.Send(ctx, []adapter.Outgoing{{Packet: &adapter.Packet{Type: 2, Data: []any{"new_msg", fmt.Sprint("m", i)}},
			Targets: push.Targets{UIDs: uids}, Hold: hold}})
	}
	busy := func() (bool, int) {
		a.sendMu.Lock()
		defer a.sendMu.Unlock()
		return a.sendBusy, len(a.sendQueue)
	}

	if err := c.Do(ctx, "CLIENT", "PAUSE", 1500, "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	before := pipelines.Load()
	const n = 20
	reach := make([][]push.Reach, n+1)
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	start := func(i int) {
		wg.Go(func() { reach[i], errs[i] = send(i) })
	}
	start(0)
	eventually.True(t, 5*time.Second, "the first Send's pipeline on its way", func() bool { b, _ := busy(); return b })
	// A Send whose context ends while it waits leaves, having sent nothing.
	gone, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err = a.Send(gone, []adapter.Outgoing{{Packet: &adapter.Packet{Type: 2, Data: []any{"new_msg", "gone"}}, Targets: push.Targets{UIDs: []string{"u1"}}}})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 900*time.Millisecond {
		t.Errorf("a queued Send past its deadline: err %v after %s, want it to leave by its deadline", err, time.Since(t0))
	}
	for i := 1; i <= n; i++ {
		start(i)
		eventually.True(t, 5*time.Second, "Send queued", func() bool { _, q := busy(); return q == i })
	}
	wg.Wait()

	if got := pipelines.Load() - before; got != 2 {
		t.Errorf("%d Sends went in %d pipelines, want 2 (the first, then the %d that waited)", n+1, got, n)
	}
	for i := range n + 1 {
		switch {
		case i == 7:
			if errs[i] == nil || !strings.Contains(errs[i].Error(), "WRONGTYPE") {
				t.Errorf("Send 7 (a hold on a string key): err %v, want WRONGTYPE", errs[i])
			}
		case errs[i] != nil:
			t.Errorf("Send %d: %v", i, errs[i])
		case len(reach[i]) != 1 || !slices.Equal(reach[i][0].UIDs, []bool{true, false}):
			t.Errorf("Send %d: reach %+v, want u1 online, u2 not", i, reach[i])
		}
	}
	var want []string
	for i := range n + 1 {
		want = append(want, fmt.Sprint("m", i))
	}
	eventually.True(t, 5*time.Second, "B gets every push", func() bool { return len(lb.packets()) == n+1 })
	lb.mu.Lock()
	got := slices.Clone(lb.events)
	lb.mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("B got %q, want %q (in the order the Sends came)", got, want)
	}
	if b, q := busy(); b || q != 0 {
		t.Errorf("after every Send: busy %v, %d queued", b, q)
	}
	// A Send alone goes at once, in a pipeline of its own.
	before = pipelines.Load()
	if _, err := send(n + 1); err != nil || pipelines.Load()-before != 1 {
		t.Errorf("a Send alone: err %v, %d pipelines", err, pipelines.Load()-before)
	}
}
