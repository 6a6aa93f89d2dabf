package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/eiotest"
)

// TestSlowConsumerDropped stalls one client (a tiny receive buffer and no
// reading), fills its pipe with large messages to its uid, then bursts
// broadcasts to it and a thousand others: the others get every message,
// the stalled one is dropped as a slow consumer.
func TestSlowConsumerDropped(t *testing.T) {
	const (
		fast     = 1000
		maxQueue = 32
		fill     = 36 // 256 KiB messages to the slow uid: ~13 fill the TCP buffers, the rest wait
		burst    = 20 // broadcasts: fewer than maxQueue, so that only a stalled client overflows
	)
	if testing.Short() {
		t.Skip("1,000 clients")
	}
	it := startIOTest(t, Options{Connection: settings.Connection{MaxQueue: maxQueue, MaxQueueBytes: 1 << 30}})

	slow := it.mustDial(t, eiotest.Options{ReadBuffer: 4096})
	_ = slow.Emit(EventLogin, "slow")
	if _, err := slow.NextNamed(ctxFor(t, 10*time.Second), EventOnlineCount); err != nil {
		t.Fatal(err)
	}

	clients := dialMany(t, it, fast)
	ctx := ctxFor(t, 2*time.Minute)
	got := make([]int, fast)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for got[i] < burst {
				ev, err := c.NextNamed(ctx, EventNewMsg)
				if err != nil {
					return
				}
				if want := fmt.Sprintf(`"m%d"`, got[i]); string(ev.Args[0]) != want {
					t.Errorf("client %d: got %s, want %s", i, ev.Args[0], want)
					return
				}
				got[i]++
			}
		})
	}

	big := strings.Repeat("x", 256<<10)
	for range fill {
		if _, err := it.Publish(ctx, []string{"slow"}, big); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	for i := range burst {
		if _, err := it.Publish(ctx, nil, fmt.Sprintf("m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	t.Logf("%d broadcasts reached %d clients in %s", burst, fast, time.Since(start))
	short := 0
	for _, n := range got {
		if n < burst {
			short++
		}
	}
	if short > 0 {
		t.Fatalf("%d of %d clients missed part of the burst", short, fast)
	}
	eventually(t, "the slow client dropped", func() bool { return !it.online(t, "slow") })
	if n := it.count(t, "pushio_slow_client_drops_total"); n != 1 {
		t.Fatalf("%d clients dropped as slow consumers, want exactly 1", n)
	}
}

// dialMany connects n raw clients, a few at a time.
func dialMany(t *testing.T, it *ioTest, n int) []*eiotest.Client {
	t.Helper()
	clients := make([]*eiotest.Client, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range clients {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := eiotest.Dial(ctx, eiotest.URL(it.URL, it.opts.Path), eiotest.Options{})
			if err != nil {
				errs <- err
				return
			}
			clients[i] = c
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range clients {
			if c != nil {
				_ = c.Close()
			}
		}
	})
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	return clients
}

// TestQueueEmptiesAsWritten sends a client many more messages than
// MaxQueue, one at a time: what was written leaves its queue, so it is
// never dropped.
func TestQueueEmptiesAsWritten(t *testing.T) {
	it := startIOTest(t, Options{Connection: settings.Connection{MaxQueue: 4, MaxQueueBytes: 4096}})
	c := it.mustDial(t, eiotest.Options{})
	ctx := ctxFor(t, 20*time.Second)
	big := strings.Repeat("y", 3000) // over MaxQueueBytes with any other message
	for i := range 50 {
		if _, err := it.Publish(ctx, nil, big); err != nil {
			t.Fatal(err)
		}
		if _, err := c.NextNamed(ctx, EventNewMsg); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if n := it.count(t, "pushio_slow_client_drops_total"); n != 0 {
		t.Fatalf("a reading client was dropped as a slow consumer (%d)", n)
	}
}
