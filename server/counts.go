package server

import (
	"context"
	"strconv"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/engine"
)

// CountsHTML is the update_online_count text, byte for byte the original's.
func CountsHTML(c adapter.Counts) string {
	return "当前<b>" + strconv.FormatInt(c.UIDs, 10) + "</b>人在线，共打开<b>" +
		strconv.FormatInt(c.Pages, 10) + "</b>个页面"
}

// countsLoop reads the cluster-wide counts once per interval and, when they
// changed, sends them to every socket of this instance. Each instance
// broadcasts locally, so every socket in the cluster gets one copy.
//
// A broadcast of the counts costs one message per page in the cluster, so
// they are sent at most countsBudget messages a second cluster-wide: the
// original's once a second (counts.interval) up to 12,500 pages, then
// every pages/12,500 s — 8 s at 100,000 pages, where a change every
// second would cost 100,000 writes a second. A page that logs in gets the
// latest figure at once either way.
func (s *Server) countsLoop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.opts.Counts.Interval)
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

// countsName names the counts' reads in the outage lines: an outage of
// the presence (Redis away) is logged once, not on every tick.
const countsName = "counts: reading presence"

func (s *Server) tickCounts(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	c, err := s.presence.Counts(ctx)
	s.report(&s.countsOutage, countsName, err)
	if err != nil {
		return
	}
	now := time.Now()
	s.lastCounts.Store(&c)
	sent := &s.countsSent
	if c == sent.counts {
		return
	}
	// The ticker spaces the broadcasts by the interval; past the budget
	// they are spaced further.
	if gap := countsGap(s.opts.Counts.Interval, c.Pages); gap > s.opts.Counts.Interval && now.Sub(sent.at) < gap {
		return
	}
	sent.counts, sent.at = c, now
	s.stamped(textEncoder(EventOnlineCount, CountsHTML(c)), func(m *engine.Message) { s.hub.Broadcast(nil, nil, m) })
}

// countsSent is the last counts broadcast; countsLoop alone uses it.
type countsSent struct {
	counts adapter.Counts
	at     time.Time
}

// countsBudget is how many update_online_count messages a second the
// cluster sends at most, whatever its size.
const countsBudget = 12_500

// countsGap is the least time between two counts broadcasts to pages.
func countsGap(interval time.Duration, pages int64) time.Duration {
	return max(interval, time.Duration(pages)*time.Second/countsBudget)
}
