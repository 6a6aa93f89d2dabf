package server

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/pushio/pushio/adapter"
)

// CountsHTML is the update_online_count text, byte for byte the original's.
func CountsHTML(c adapter.Counts) string {
	return "当前<b>" + strconv.FormatInt(c.UIDs, 10) + "</b>人在线，共打开<b>" +
		strconv.FormatInt(c.Pages, 10) + "</b>个页面"
}

// countsLoop reads the cluster-wide counts once per interval and, when they
// changed, sends them to every socket of this instance. Each instance
// broadcasts locally, so every socket in the cluster gets one copy.
func (s *Server) countsLoop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.opts.CountsInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.tickCounts(ctx)
		}
	}
}

func (s *Server) tickCounts(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	c, err := s.presence.Counts(ctx)
	s.countsHealth.report(s.log, err, time.Now())
	if err != nil {
		return
	}
	if *s.lastCounts.Load() == c {
		return
	}
	s.lastCounts.Store(&c)
	_ = s.io.Local().Emit(EventOnlineCount, CountsHTML(c))
}

// countsReminder is how often, at most, a failure to read the counts that
// lasts is logged again.
const countsReminder = time.Minute

// countsHealth follows the reads of the counts, one per tick, so that an
// outage (Redis away) is logged once when it starts, at most once per
// countsReminder while it lasts, and once when it ends, rather than on
// every tick. Only the counts loop uses it.
type countsHealth struct {
	failingSince time.Time // zero while the counts are readable
	lastLogged   time.Time
	failed       int // failures since the last log line
}

// report logs what the read at now that ended with err changes.
func (h *countsHealth) report(log *slog.Logger, err error, now time.Time) {
	switch {
	case err == nil && h.failingSince.IsZero():
	case err == nil:
		log.Info("counts: presence readable again", "down_for", now.Sub(h.failingSince).Round(time.Millisecond))
		*h = countsHealth{}
	case h.failingSince.IsZero():
		log.Warn("counts: reading presence failed", "err", err)
		*h = countsHealth{failingSince: now, lastLogged: now}
	default:
		h.failed++
		if now.Sub(h.lastLogged) >= countsReminder {
			log.Warn("counts: reading presence still failing", "down_for", now.Sub(h.failingSince).Round(time.Second),
				"failures", h.failed, "err", err)
			h.lastLogged, h.failed = now, 0
		}
	}
}
