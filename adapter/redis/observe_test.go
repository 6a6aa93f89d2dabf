package redis

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/test/metricstest"
	"github.com/pushio/pushio/internal/test/redistest"
)

// The hook feeds pushio's metrics: each call's latency by operation, and
// the failures once Redis is gone, but not a missing key.
func TestObserveFeedsMetrics(t *testing.T) {
	srv := redistest.Start(t)
	m := metrics.New("test")
	p := newObservedPresence(t, srv.URL(), redistest.Prefix(t), "a", 15*time.Second, m.ObserveRedis)
	counts(t, p) // no page yet: GET answers redis.Nil
	join(t, p, "u1", "u2")
	online(t, p, "u1")

	f := metricstest.Scrape(t, m.Handler())
	// Each call once: not the connection handshake, nor the EVALSHA that
	// answered NOSCRIPT before go-redis sent the script.
	for op, want := range map[string]float64{"presence_change": 2, "hmget": 1, "pipeline": 1} {
		if got := f.Value("pushio_redis_duration_seconds", "op", op); got != want {
			t.Errorf("redis_duration_seconds{op=%q} count = %v, want %v", op, got, want)
		}
	}
	if got := f.Value("pushio_redis_duration_seconds", "op", "presence_sync"); got < 1 {
		t.Error("the registration was not observed")
	}
	for _, op := range []string{"hello", "client"} {
		if f.Value("pushio_redis_duration_seconds", "op", op) != 0 {
			t.Errorf("connection handshake observed as op %q", op)
		}
	}
	if got := f.Value("pushio_redis_errors_total", "op", "pipeline"); got != 0 {
		t.Errorf("redis_errors_total{op=pipeline} = %v after a missing key, want 0", got)
	}

	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := p.Online(ctx, []string{"u1"}); err == nil {
		t.Fatal("Online answered with Redis stopped")
	}
	f = metricstest.Scrape(t, m.Handler())
	if got := f.Value("pushio_redis_errors_total", "op", "hmget"); got != 1 {
		t.Errorf("redis_errors_total{op=hmget} = %v after one failed call, want 1", got)
	}
}

func TestFailure(t *testing.T) {
	down := errors.New("dial tcp: connection refused")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"success", nil, nil},
		{"missing key", goredis.Nil, nil},
		{"cancelled", fmt.Errorf("calling: %w", context.Canceled), nil},
		{"script not cached", goredis.ErrNoScript, nil},
		{"unreachable", down, down},
		{"timed out", context.DeadlineExceeded, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failure(tt.err); !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("failure(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
