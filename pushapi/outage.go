package pushapi

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// outageReminder is how often, at most, Publisher failures that go on are
// logged again.
const outageReminder = time.Minute

// outageLog logs the Publisher's failures (Redis away) once when they
// start, at most once per outageReminder while they last, and once when a
// call succeeds again, rather than once per request: a busy backend
// retrying through an outage would write thousands of lines a second.
type outageLog struct {
	failing atomic.Bool // lets success skip the lock while all is well

	mu         sync.Mutex
	since      time.Time // zero while calls succeed
	lastLogged time.Time
	failed     int // failures since the last log line
}

// failure records a failed call of what (publish, online, count).
func (o *outageLog) failure(log *slog.Logger, what string, err error, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.since.IsZero():
		log.Warn("api: "+what+" failed, answering fail until the publisher recovers", "err", err)
		o.since, o.lastLogged, o.failed = now, now, 0
		o.failing.Store(true)
	case now.Sub(o.lastLogged) >= outageReminder:
		log.Warn("api: "+what+" still failing", "down_for", now.Sub(o.since).Round(time.Second),
			"failures", o.failed+1, "err", err)
		o.lastLogged, o.failed = now, 0
	default:
		o.failed++
	}
}

// success records a call that worked; it ends an outage.
func (o *outageLog) success(log *slog.Logger, now time.Time) {
	if !o.failing.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return
	}
	log.Info("api: publisher works again", "down_for", now.Sub(o.since).Round(time.Millisecond),
		"failures_since_last_line", o.failed)
	o.since, o.failed = time.Time{}, 0
	o.failing.Store(false)
}
