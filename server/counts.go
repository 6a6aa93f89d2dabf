package server

import (
	"context"
	"strconv"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/socketio"
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

// countsName names the counts' reads in the outage lines: an outage of
// the presence (Redis away) is logged once, not on every tick.
const countsName = "counts: reading presence"

func (s *Server) tickCounts(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	c, err := s.presence.Counts(ctx)
	if err != nil {
		s.countsOutage.Failure(s.log, countsName, err, time.Now())
		return
	}
	s.countsOutage.Success(s.log, countsName, time.Now())
	if *s.lastCounts.Load() == c {
		return
	}
	s.lastCounts.Store(&c)
	s.hub.Broadcast(nil, nil, socketio.EncodePush(EventOnlineCount, CountsHTML(c)))
}
