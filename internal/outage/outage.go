// Package outage keeps a failing dependency (Redis, mostly) from flooding
// the log: its failures are logged once when they start, at most once a
// minute while they last, and once when a call works again. A busy
// backend retrying through an outage, or every page of a large instance
// logging in, would otherwise write a line per call.
package outage

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Reminder is how often, at most, failures that go on are logged again.
const Reminder = time.Minute

// Log follows the calls to one dependency under one name, e.g.
// "counts: reading presence". The zero value is ready; it is safe for
// concurrent use, and a success costs one atomic load while all is well.
type Log struct {
	failing atomic.Bool

	mu         sync.Mutex
	since      time.Time // zero while calls succeed
	lastLogged time.Time
	failed     int // failures since the last line
}

// Failure records a call that failed at now with err. The first failure
// of an outage logs what+" failed" with attrs; later ones, at most once per
// Reminder, what+" still failing" with how long and how many.
func (o *Log) Failure(log *slog.Logger, what string, err error, now time.Time, attrs ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.since.IsZero():
		log.Warn(what+" failed", append(attrs, "err", err)...)
		o.since, o.lastLogged, o.failed = now, now, 0
		o.failing.Store(true)
	case now.Sub(o.lastLogged) >= Reminder:
		log.Warn(what+" still failing", append(attrs, "down_for", now.Sub(o.since).Round(time.Second),
			"failures", o.failed+1, "err", err)...)
		o.lastLogged, o.failed = now, 0
	default:
		o.failed++
	}
}

// Success records a call that worked at now; it ends an outage, logged as
// what+" works again".
func (o *Log) Success(log *slog.Logger, what string, now time.Time) {
	if !o.failing.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return
	}
	log.Info(what+" works again", "down_for", now.Sub(o.since).Round(time.Millisecond),
		"failures_since_last_line", o.failed)
	o.since, o.failed = time.Time{}, 0
	o.failing.Store(false)
}
