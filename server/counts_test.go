package server

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/testlog"
)

// errDown is what a store that is down answers.
var errDown = errors.New("store unreachable")

// flakyPresence is a memory presence whose Counts, Join and Leave fail
// while down is set.
type flakyPresence struct {
	adapter.Presence
	down atomic.Bool
}

func (p *flakyPresence) Counts(ctx context.Context) (adapter.Counts, error) {
	if p.down.Load() {
		return adapter.Counts{}, errDown
	}
	return p.Presence.Counts(ctx)
}

func (p *flakyPresence) Join(ctx context.Context, uid, client string, groups []string) ([]string, error) {
	if p.down.Load() {
		return nil, errDown
	}
	return p.Presence.Join(ctx, uid, client, groups)
}

func (p *flakyPresence) Leave(ctx context.Context, uid, client string, groups []string) error {
	if p.down.Load() {
		return errDown
	}
	return p.Presence.Leave(ctx, uid, client, groups)
}

// The counts ticker logs an outage of the presence once, not every tick,
// and its end.
func TestCountsOutageLoggedOnce(t *testing.T) {
	t.Parallel()
	p := &flakyPresence{Presence: memory.New()}
	var logs testlog.Buffer
	s, err := New(Options{SocketIO: settings.SocketIO{Path: "/socket.io"}, Counts: settings.Counts{Interval: manualCounts}}, p, logs.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = s.Close(ctx)
	})
	p.down.Store(true)
	for range 5 {
		s.tickCounts(t.Context())
	}
	p.down.Store(false)
	s.tickCounts(t.Context())
	s.tickCounts(t.Context())
	got := logs.Take()
	for msg, want := range map[string]int{
		"counts: reading presence failed":      1,
		"counts: reading presence works again": 1,
		"still failing":                        0,
	} {
		if n := strings.Count(got, msg); n != want {
			t.Errorf("%q logged %d times, want %d; log:\n%s", msg, n, want, got)
		}
	}
}

func TestCountsGap(t *testing.T) {
	for _, tt := range []struct {
		interval time.Duration
		pages    int64
		want     time.Duration
	}{
		{time.Second, 0, time.Second},
		{time.Second, 12_500, time.Second},
		{time.Second, 25_000, 2 * time.Second},
		{time.Second, 100_000, 8 * time.Second},
		{10 * time.Second, 100_000, 10 * time.Second},
		{200 * time.Millisecond, 1_000, 200 * time.Millisecond},
	} {
		if got := countsGap(tt.interval, tt.pages); got != tt.want {
			t.Errorf("countsGap(%v, %d) = %v, want %v", tt.interval, tt.pages, got, tt.want)
		}
	}
}
