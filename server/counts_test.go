package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/adapter/memory"
)

// logBuffer collects log lines, safe for the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns the lines written since the last take.
func (b *logBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// An outage of the counts is logged when it starts, reminded at most once
// per countsReminder, and logged when it ends; nothing else.
func TestCountsHealth(t *testing.T) {
	t.Parallel()
	down := errors.New("redis: connection refused")
	start := time.Unix(1_700_000_000, 0)
	steps := []struct {
		name string
		at   time.Duration // after start
		err  error
		want string // the message logged, "" for none
	}{
		{"readable", 0, nil, ""},
		{"first failure", time.Second, down, `level=WARN msg="counts: reading presence failed"`},
		{"second failure", 2 * time.Second, down, ""},
		{"a tick before the minute", time.Minute, down, ""},
		{"a minute after the first", time.Minute + time.Second, down, `msg="counts: reading presence still failing" down_for=1m0s failures=3`},
		{"right after the reminder", time.Minute + 2*time.Second, down, ""},
		{"back", time.Minute + 3*time.Second, nil, `level=INFO msg="counts: presence readable again" down_for=1m2s`},
		{"still readable", time.Minute + 4*time.Second, nil, ""},
		{"a new outage is logged again", time.Minute + 5*time.Second, down, `msg="counts: reading presence failed"`},
	}
	var h countsHealth
	var logs logBuffer
	log := logs.logger()
	for _, s := range steps {
		h.report(log, s.err, start.Add(s.at))
		got := logs.take()
		if s.want == "" && got != "" || !strings.Contains(got, s.want) || strings.Count(got, "\n") > 1 {
			t.Errorf("%s: logged %q, want %q", s.name, got, s.want)
		}
	}
}

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
	var logs logBuffer
	s := New(Options{Path: "/socket.io", CountsInterval: manualCounts}, p, logs.logger())
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
	got := logs.take()
	for msg, want := range map[string]int{
		"counts: reading presence failed": 1,
		"counts: presence readable again": 1,
		"still failing":                   0,
	} {
		if n := strings.Count(got, msg); n != want {
			t.Errorf("%q logged %d times, want %d; log:\n%s", msg, n, want, got)
		}
	}
}
