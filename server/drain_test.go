package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/internal/test/eiotest"
)

func TestDrain(t *testing.T) {
	const n, window = 20, time.Second
	it := startIOTest(t, Options{})
	closedAt := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := range n {
		c := it.mustDial(t, eiotest.Options{})
		uid := fmt.Sprintf("d%d", i)
		_ = c.Emit(EventLogin, uid)
		if _, err := c.NextNamed(ctxFor(t, 10*time.Second), EventOnlineCount); err != nil {
			t.Fatal(i, err)
		}
		wg.Go(func() {
			if c.Closed(ctxFor(t, 10*time.Second)) {
				closedAt[i] = time.Now()
			}
		})
	}

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- it.Drain(ctx, window) }()

	eventually(t, "draining", it.Draining)
	_, err := it.dial(t, eiotest.Options{})
	refusedWith(t, err, http.StatusServiceUnavailable, "Server is shutting down")
	if err := <-drained; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	wg.Wait()
	first, last := time.Hour, time.Duration(0)
	for i, at := range closedAt {
		if at.IsZero() {
			t.Fatalf("client %d not disconnected", i)
		}
		first, last = min(first, at.Sub(start)), max(last, at.Sub(start))
		if it.online(t, fmt.Sprintf("d%d", i)) {
			t.Fatalf("d%d still online after the drain", i)
		}
	}
	t.Logf("disconnected from %s to %s after the start", first, last)
	if spread := last - first; spread < window/4 {
		t.Fatalf("all %d clients disconnected within %s: not spread over the %s window", n, spread, window)
	}
	if n := it.count(t, "pushio_connection_refusals_total", "reason", refusedDraining); n != 1 {
		t.Fatalf("counted %d refusals while draining, want 1", n)
	}
}

// slowLeave is a memory presence whose Leave takes a while, as a Redis
// round trip may.
type slowLeave struct{ adapter.Presence }

func (p slowLeave) Leave(ctx context.Context, uid, id string, own []string) error {
	time.Sleep(300 * time.Millisecond)
	return p.Presence.Leave(ctx, uid, id, own)
}

// Drain returns once every page has left presence, not as soon as its
// session is gone: a logout's Leave runs after the session closed.
func TestDrainWaitsForLogouts(t *testing.T) {
	const n = 5
	it := startIOTestOn(t, Options{}, slowLeave{memory.New()})
	for i := range n {
		c := it.mustDial(t, eiotest.Options{})
		_ = c.Emit(EventLogin, fmt.Sprintf("w%d", i))
		if _, err := c.NextNamed(ctxFor(t, 10*time.Second), EventOnlineCount); err != nil {
			t.Fatal(i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := it.Drain(ctx, 100*time.Millisecond); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	for i := range n {
		if it.online(t, fmt.Sprintf("w%d", i)) {
			t.Errorf("w%d still online when Drain returned", i)
		}
	}
}
