// Package storetest is the behaviour every recovery.Store must have,
// run against each implementation: the memory one and the Redis one on a
// real redis-server.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/recovery"
)

// New makes an empty store keeping sessions for window with at most max
// entries each, as two instances of one cluster see it (a single node's
// two are one).
type New func(t *testing.T, window time.Duration, max int) (recovery.Store, recovery.Store)

func entry(i int) recovery.Entry {
	return recovery.Entry{Offset: fmt.Sprintf("inst:%d", i), Packet: fmt.Appendf(nil, `2["new_msg","m%d \u00e9 ","inst:%d"]`, i, i)}
}

func call(t *testing.T, f func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		t.Fatal(err)
	}
}

func take(t *testing.T, s recovery.Store, pid string) (recovery.Session, []recovery.Entry, bool) {
	t.Helper()
	var (
		sess    recovery.Session
		entries []recovery.Entry
		ok      bool
	)
	call(t, func(ctx context.Context) (err error) {
		sess, entries, ok, err = s.Take(ctx, pid)
		return err
	})
	return sess, entries, ok
}

func appendTo(t *testing.T, s recovery.Store, pid string, e recovery.Entry) bool {
	t.Helper()
	var ok bool
	call(t, func(ctx context.Context) (err error) {
		ok, err = s.Append(ctx, pid, e)
		return err
	})
	return ok
}

func parked(t *testing.T, s recovery.Store, pid string) bool {
	t.Helper()
	var ok bool
	call(t, func(ctx context.Context) (err error) {
		ok, err = s.Parked(ctx, pid)
		return err
	})
	return ok
}

func park(t *testing.T, s recovery.Store, pid string, sess recovery.Session, entries ...recovery.Entry) {
	t.Helper()
	call(t, func(ctx context.Context) error { return s.Park(ctx, pid, sess, entries) })
}

// Run runs every case against the stores newStore makes.
func Run(t *testing.T, newStore New) {
	sess := recovery.Session{SID: "sid1", UID: "alice", Rooms: []string{"g1"}, From: "x:3", Complete: true, Instance: "x", Base: 3}
	t.Run("order and once", func(t *testing.T) {
		s, other := newStore(t, time.Minute, 100)
		park(t, s, recovery.NewPID(), sess) // another session is untouched
		pid := recovery.NewPID()
		park(t, s, pid, sess, entry(1), entry(2))
		for i := 3; i <= 5; i++ {
			if !appendTo(t, s, pid, entry(i)) {
				t.Fatalf("append %d: not parked", i)
			}
		}
		if !parked(t, other, pid) {
			t.Fatal("another instance does not see the parked session")
		}
		got, entries, ok := take(t, other, pid) // another instance takes it
		if !ok || got.SID != sess.SID || got.UID != sess.UID || !slices.Equal(got.Rooms, sess.Rooms) || got.From != sess.From || !got.Complete || got.Instance != "x" || got.Base != 3 {
			t.Fatalf("take = %+v %v, want %+v", got, ok, sess)
		}
		want := []recovery.Entry{entry(1), entry(2), entry(3), entry(4), entry(5)}
		if !slices.EqualFunc(entries, want, equalEntry) {
			t.Fatalf("entries = %q, want %q", entries, want)
		}
		if _, _, ok := take(t, s, pid); ok || parked(t, s, pid) {
			t.Fatal("taken twice, or still parked")
		}
		if appendTo(t, s, pid, entry(6)) {
			t.Fatal("appended to a taken session")
		}
		if _, _, ok := take(t, s, pid); ok {
			t.Fatal("an append after the take parked it again")
		}
	})
	t.Run("unknown", func(t *testing.T) {
		s, _ := newStore(t, time.Minute, 100)
		if _, _, ok := take(t, s, recovery.NewPID()); ok {
			t.Fatal("took a session never parked")
		}
		if appendTo(t, s, recovery.NewPID(), entry(1)) {
			t.Fatal("appended to a session never parked")
		}
	})
	t.Run("max packets", func(t *testing.T) {
		s, _ := newStore(t, time.Minute, 3)
		pid := recovery.NewPID()
		park(t, s, pid, sess, entry(1), entry(2), entry(3))
		if appendTo(t, s, pid, entry(4)) {
			t.Fatal("a fourth entry was kept with max 3")
		}
		if _, _, ok := take(t, s, pid); ok {
			t.Fatal("a session past max packets was recovered")
		}
		park(t, s, pid, sess, entry(1), entry(2), entry(3), entry(4))
		if _, _, ok := take(t, s, pid); ok {
			t.Fatal("a session parked with more than max packets was kept")
		}
		park(t, s, pid, sess, entry(1), entry(2))
		appendTo(t, s, pid, entry(3))
		if _, entries, ok := take(t, s, pid); !ok || len(entries) != 3 {
			t.Fatalf("at max: %v, %d entries, want 3", ok, len(entries))
		}
	})
	t.Run("window", func(t *testing.T) {
		const window = 300 * time.Millisecond
		s, _ := newStore(t, window, 100)
		pid, kept := recovery.NewPID(), recovery.NewPID()
		start := time.Now()
		park(t, s, pid, sess, entry(1))
		park(t, s, kept, sess)
		if _, _, ok := take(t, s, kept); !ok && time.Since(start) < window {
			t.Fatal("taken within the window: none")
		}
		eventually.True(t, 3*time.Second, "the session expires", func() bool {
			return !appendTo(t, s, pid, entry(2))
		})
		if time.Since(start) < window {
			t.Fatalf("expired after %v, before the window %v", time.Since(start), window)
		}
		if _, _, ok := take(t, s, pid); ok || parked(t, s, pid) {
			t.Fatal("recovered, or parked still, after the window")
		}
	})
	t.Run("one take wins", func(t *testing.T) {
		s, other := newStore(t, time.Minute, 100)
		for range 20 {
			pid := recovery.NewPID()
			park(t, s, pid, sess, entry(1))
			var wg sync.WaitGroup
			var mu sync.Mutex
			won := 0
			for _, st := range []recovery.Store{s, other, s, other} {
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					defer cancel()
					if _, _, ok, err := st.Take(ctx, pid); err == nil && ok {
						mu.Lock()
						won++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if won != 1 {
				t.Fatalf("%d takes got the session, want 1", won)
			}
		}
	})
	t.Run("park replaces", func(t *testing.T) {
		s, _ := newStore(t, time.Minute, 100)
		pid := recovery.NewPID()
		park(t, s, pid, sess, entry(1), entry(2))
		park(t, s, pid, sess, entry(7))
		if _, entries, ok := take(t, s, pid); !ok || !slices.EqualFunc(entries, []recovery.Entry{entry(7)}, equalEntry) {
			t.Fatalf("entries = %q, want the second park's", entries)
		}
	})
}

func equalEntry(a, b recovery.Entry) bool {
	return a.Offset == b.Offset && string(a.Packet) == string(b.Packet)
}
