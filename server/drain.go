package server

import (
	"context"
	"math/rand/v2"
	"time"
)

// drainPoll is how often Drain looks whether the last sessions closed;
// drainGrace is how long after the window a session may take to flush.
// drainHandover is how long, at most, a drained instance waits after its
// last session for the pages it parked (connection state recovery) to
// be taken by the instances they reconnect to, pushes to them kept
// meanwhile; it ends drainReserve before Drain's deadline at the latest,
// so that the stop after it (the cluster's presence removed) has time: a
// page that never comes back (a closed tab) keeps it waiting to the end,
// and with the default drain window (5 s) and shutdown_timeout (10 s) the
// two took the whole budget.
const (
	drainPoll     = 20 * time.Millisecond
	drainGrace    = time.Second
	drainHandover = 5 * time.Second
	drainReserve  = 2 * time.Second
)

// Drain puts the instance in lame-duck mode: new sessions are refused
// with 503 from now on, and the open ones are closed one by one, spread
// evenly over window in random order, so that their clients reconnect to
// other instances a few at a time rather than all at once. Clients see a
// transport close, on which every Socket.IO client reconnects; each
// socket's logout removes its presence. The other wires' pages (Attach)
// are closed among them with Page.Close. A session still open drainGrace
// after the window (a client that does not read) is cut. In a cluster,
// Drain then waits up to drainHandover for the pages it parked to be
// recovered elsewhere, capturing their pushes. Drain returns when every
// session is closed, or with ctx's error when ctx ends first.
func (s *Server) Drain(ctx context.Context, window time.Duration) error {
	s.gate.draining.Store(true)
	eng := s.sio.Engine()
	var open []func()
	for _, sess := range eng.Sessions() {
		open = append(open, func() { sess.Close(true) }) // flushes what waits, then closes the transport
	}
	pages := s.attached()
	for _, c := range pages {
		open = append(open, c.u.page.Close)
	}
	rand.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
	s.log.Info("draining: closing client sessions", "sessions", len(open)-len(pages), "pages", len(pages), "window", window)

	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i, closeOne := range open {
		timer.Reset(time.Until(start.Add(window * time.Duration(i) / time.Duration(len(open)))))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		closeOne()
	}
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	cut := start.Add(window + drainGrace)
	// Until every session has closed and every page left presence (a
	// logout's Leave runs after its session is gone from the count).
	for eng.Count()+len(s.attached())+int(s.present.Load()) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		// Sessions whose handshake raced the start, then the laggards
		// (the other wires' pages close alike; one that does not read is
		// cut by its wire's write timeout).
		for _, sess := range eng.Sessions() {
			sess.Close(!time.Now().After(cut))
		}
		for _, c := range s.attached() {
			c.u.page.Close()
		}
	}
	handover := drainHandover
	if end, ok := ctx.Deadline(); ok {
		handover = min(handover, time.Until(end)-drainReserve)
	}
	if handover > 0 {
		s.rec.awaitHandover(ctx, handover)
	}
	return nil
}

// Draining reports whether Drain has begun.
func (s *Server) Draining() bool { return s.gate.draining.Load() }
