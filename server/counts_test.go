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

// flakyPresence is a memory presence whose Counts fails while down is set.
type flakyPresence struct {
	adapter.Presence
	down atomic.Bool
}

func (p *flakyPresence) Counts(ctx context.Context) (adapter.Counts, error) {
	if p.down.Load() {
		return adapter.Counts{}, errors.New("presence unreachable")
	}
	return p.Presence.Counts(ctx)
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
