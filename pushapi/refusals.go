package pushapi

import (
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Refusal lines per second, and the burst allowed: every refused request
// is counted in the metrics, but a client hammering the API (the very one
// api.rate_limit refuses) must not write a log line per request; measured
// before this bound: 40,000 lines a second from one client.
const (
	refusalLogRate  = 10
	refusalLogBurst = 20
)

// refusalLog logs refused requests with their peer and reason, within
// refusalLogRate; the next line logged says how many were not.
type refusalLog struct {
	lim     *rate.Limiter
	skipped atomic.Int64
}

func newRefusalLog() *refusalLog {
	return &refusalLog{lim: rate.NewLimiter(refusalLogRate, refusalLogBurst)}
}

// refused logs one refused request at now, unless over the rate.
func (l *refusalLog) refused(log *slog.Logger, now time.Time, peer, reason string) {
	if !l.lim.AllowN(now, 1) {
		l.skipped.Add(1)
		return
	}
	args := []any{"peer", peer, "reason", reason}
	if n := l.skipped.Swap(0); n > 0 {
		args = append(args, "refusals_not_logged", n)
	}
	log.Info("api: refused request", args...)
}
