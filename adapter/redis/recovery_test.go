package redis

import (
	"context"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/internal/test/storetest"
	"github.com/pushio/pushio/recovery"
)

func TestRecoveryStore(t *testing.T) {
	redistest.Each(t, func(t *testing.T, d redistest.Deployment) {
		storetest.Run(t, func(t *testing.T, window time.Duration, max int) (recovery.Store, recovery.Store) {
			prefix := redistest.Prefix(t)
			return newTestRecovery(t, d.URL(), prefix, window, max), newTestRecovery(t, d.URL(), prefix, window, max)
		})
	})
}

func newTestRecovery(t *testing.T, url, prefix string, window time.Duration, max int) *Recovery {
	t.Helper()
	c, err := NewClient(url, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return NewRecovery(c, prefix, window, max)
}

// TestRecoveryStoreRedisAway: calls fail with an error while Redis is
// away, and a restarted Redis has lost the sessions (nothing kept on
// disk), which is a failed recovery, not a crash.
func TestRecoveryStoreRedisAway(t *testing.T) {
	srv := redistest.Start(t)
	r := newTestRecovery(t, srv.URL(), redistest.Prefix(t), time.Minute, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	pid := recovery.NewPID()
	if err := r.Park(ctx, pid, recovery.Session{SID: "s"}, nil); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, _, _, err := r.Take(short(), pid); err == nil {
		t.Fatal("take with Redis away: no error")
	}
	if _, err := r.Append(short(), pid, recovery.Entry{Offset: "a:1"}); err == nil {
		t.Fatal("append with Redis away: no error")
	}
	srv.StartAgain()
	if _, _, ok, err := r.Take(ctx, pid); err != nil || ok {
		t.Fatalf("take after a restart = %v, %v; want no session, no error", ok, err)
	}
}
