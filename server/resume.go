package server

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/recovery"
)

// recoverable are the reasons a connection ends on which its page is
// parked (Node's): the page did not ask for it and its client reconnects.
var recoverable = map[string]bool{
	engine.ReasonTransportClose: true,
	engine.ReasonTransportError: true,
	engine.ReasonPingTimeout:    true,
	engine.ReasonServerClose:    true,
	engine.ReasonServerShutdown: true,
}

// parkedPage stands for a page whose connection ended in the parked hub:
// each broadcast that picks it goes to the store for it, until it is
// taken, expires or goes past the bound.
type parkedPage struct {
	n     *numbering
	pid   string
	count int // entries kept; n.mu held
	timer *time.Timer
	once  sync.Once
}

// Deliver queues the broadcast for the store; n.mu held (broadcast).
func (p *parkedPage) Deliver(m *engine.Message) {
	if p.count++; p.count > p.n.opts.MaxPackets {
		p.forget()
		return
	}
	e := recovery.Entry{Offset: m.ID(), Packet: m.Variant().Text()}
	ok := p.n.queue(p.pid, func(ctx context.Context) {
		kept, err := p.n.opts.Store.Append(ctx, p.pid, e)
		if err != nil || !kept {
			p.n.unpark(p)
		}
	})
	if !ok {
		p.forget()
	}
}

// forget stops capturing and drops what was parked, so that the page's
// recovery fails rather than misses a packet; the recorder does it (a
// broadcast holds the hub's lock).
func (p *parkedPage) forget() {
	p.once.Do(func() {
		go func() {
			p.n.unpark(p)
			p.n.queueWait(context.Background(), p.pid, func(ctx context.Context) { _, _, _, _ = p.n.opts.Store.Take(ctx, p.pid) })
		}()
	})
}

func (p *parkedPage) stop() { p.timer.Stop() }

// queue asks the recorder for a store call without waiting; false when
// too many wait (Redis slow or away) or the recorder stopped.
func (n *numbering) queue(pid string, op func(context.Context)) bool {
	select {
	case <-n.quit:
		return false
	default:
	}
	select {
	case n.opsOf(pid) <- op:
		return true
	default:
		return false
	}
}

// queueWait asks the recorder for a store call, waiting for room up to
// the call timeout or ctx's end.
func (n *numbering) queueWait(ctx context.Context, pid string, op func(context.Context)) bool {
	t := time.NewTimer(n.timeout)
	defer t.Stop()
	select {
	case n.opsOf(pid) <- op:
		return true
	case <-n.quit:
		return false
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// unpark takes p out of the parked hub.
func (n *numbering) unpark(p *parkedPage) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.unparkLocked(p)
}

func (n *numbering) unparkLocked(p *parkedPage) {
	if n.byPID[p.pid] == p {
		delete(n.byPID, p.pid)
	}
	n.parked.Remove(p)
	p.stop()
}

// park keeps a recovering page whose connection ended for reason: out of
// the hub, its session and what it may not have read to the store, and
// into the parked hub. It reports false, and does nothing, when the page
// is not to be parked.
func (s *Server) park(u *user, reason string) bool {
	n := s.rec
	if !n.on || u.rec == nil {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.live[u.rec.pid] == u {
		delete(n.live, u.rec.pid)
	}
	defer func() {
		u.rec.left = true
		if u.rec.gone != nil {
			close(u.rec.gone)
		}
	}()
	if !recoverable[reason] {
		return false
	}
	id := u.page.ID()
	uid, logged, own := u.current()
	rooms := s.hub.Rooms(u.page)
	s.hub.Remove(u.page)
	m := &u.rec.m
	// What picked it since it came, as long as the store keeps it all. A
	// page picked by more (one connected for long) has read most of it:
	// it keeps the newest half of the bound, leaving room for what comes
	// while it is away; a client holding an offset past what is left out
	// still recovers.
	room := n.opts.MaxPackets - len(u.rec.prefix)
	picked, base, complete := n.ring.Since(m, max(room, 0))
	entries := append(slices.Clip(u.rec.prefix), picked...)
	if room < 0 || base > max(m.Base, n.ring.Dropped()) {
		picked, base, _ = n.ring.Since(m, max(n.opts.MaxPackets/2, 1))
		entries, complete = picked, false
	}
	sess := recovery.Session{SID: id, From: u.rec.from, Complete: complete, Instance: n.instance, Base: base}
	if logged {
		sess.UID, sess.Own, sess.LoggedIn = uid, own, true
	}
	for _, r := range rooms {
		if r != id && r != sess.UID {
			sess.Rooms = append(sess.Rooms, r)
		}
	}
	p := &parkedPage{n: n, pid: u.rec.pid, count: len(entries)}
	queued := n.queue(p.pid, func(ctx context.Context) {
		err := n.opts.Store.Park(ctx, p.pid, sess, entries)
		s.report(&s.outages.park, "recovery: parking a session (its page gets a normal connect)", err, "sid", id)
		if err != nil {
			n.unpark(p)
		}
	})
	if !queued {
		s.report(&s.outages.queue, queueing, errStoreBacklog, "sid", id)
		return true
	}
	s.report(&s.outages.queue, queueing, nil)
	if old := n.byPID[p.pid]; old != nil {
		n.unparkLocked(old)
	}
	n.byPID[p.pid] = p
	n.parked.Add(id, p)
	n.parked.Join(p, rooms[1:]...)
	p.timer = time.AfterFunc(n.opts.Window, func() { n.unpark(p) })
	return true
}

// queueing names the recorders' queues in the outage lines.
const queueing = "recovery: queueing a store call (its page gets a normal connect)"

// errStoreBacklog is a store call refused because too many wait.
var errStoreBacklog = errors.New("too many store calls waiting (the store is slow or away)")

// take claims the session parked under pid, from this instance's parked
// pages first (they stop capturing) and then from the store, after every
// store call asked for before it.
func (s *Server) take(pid string) (recovery.Session, []recovery.Entry, bool) {
	n := s.rec
	n.mu.Lock()
	if p := n.byPID[pid]; p != nil {
		n.unparkLocked(p)
	}
	n.mu.Unlock()
	var (
		sess    recovery.Session
		entries []recovery.Entry
		ok      bool
	)
	if !n.do(context.Background(), pid, func(ctx context.Context) {
		var err error
		sess, entries, ok, err = n.opts.Store.Take(ctx, pid)
		s.report(&s.outages.take, "recovery: taking a parked session (its page gets a normal connect)", err)
		if err != nil {
			ok = false
		}
	}) {
		return recovery.Session{}, nil, false
	}
	return sess, entries, ok
}

// do has the recorder make a store call, after those asked for before,
// and waits for it; false when it was not made within twice the call
// timeout or before ctx's end (what it sets must not be read then).
func (n *numbering) do(ctx context.Context, pid string, op func(context.Context)) bool {
	done := make(chan struct{})
	if !n.queueWait(ctx, pid, func(ctx context.Context) {
		op(ctx)
		close(done)
	}) {
		return false
	}
	t := time.NewTimer(2 * n.timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// closeLive ends the connection of the page of pid that is still
// connected here — its client came back before this side saw the old
// connection die (a phone that changed networks) — and waits, up to the
// call timeout, until it is parked; false when there is none here.
func (s *Server) closeLive(pid string) bool {
	n := s.rec
	n.mu.Lock()
	u := n.live[pid]
	var gone chan struct{}
	if u != nil && !u.rec.left {
		if u.rec.gone == nil {
			u.rec.gone = make(chan struct{})
		}
		gone = u.rec.gone
	}
	n.mu.Unlock()
	if u == nil {
		return false
	}
	if gone == nil {
		return true // it left already
	}
	sp, ok := u.page.(sioPage)
	if !ok {
		return false
	}
	sp.sock.Session().Close(false)
	t := time.NewTimer(n.timeout)
	defer t.Stop()
	select {
	case <-gone:
		return true
	case <-t.C:
		return false
	}
}

// resume is what Resume decided for a socket, until OnConnect.
type resume struct {
	pid    string
	from   string
	sess   *recovery.Session // nil: a normal connect
	missed []recovery.Entry
}

// Resume gives a protocol 5 client of "/" a pid (a new one, or the one it
// had when its session is recovered), before its CONNECT is answered.
// The client's auth pid and offset must be strings; anything else is a
// normal connect.
func (h *handler) Resume(sess *engine.Session, nsp string, auth map[string]any) (string, map[string]any, any) {
	s := (*Server)(h)
	if nsp != "/" || !s.rec.on {
		return "", nil, nil
	}
	if r := s.recover(auth); r != nil {
		s.log.Debug("recovery: session recovered", "sid", r.sess.SID, "missed", len(r.missed))
		return r.sess.SID, map[string]any{"pid": r.pid, "offset": r.from}, r
	}
	pid := recovery.NewPID()
	s.rec.mu.Lock()
	off := s.rec.offset()
	s.rec.mu.Unlock()
	return "", map[string]any{"pid": pid, "offset": off}, &resume{pid: pid}
}

// recover finds the session auth claims, and what its client missed.
func (s *Server) recover(auth map[string]any) *resume {
	if _, claimed := auth["pid"]; !claimed {
		return nil
	}
	r := s.claim(auth)
	s.opts.Metrics.Recovery(r != nil)
	return r
}

// claim is recover for a client that sent a pid.
func (s *Server) claim(auth map[string]any) *resume {
	pid, ok := auth["pid"].(string)
	if !ok || !recovery.ValidPID(pid) {
		return nil
	}
	offset, isString := auth["offset"].(string)
	if _, given := auth["offset"]; given && !isString {
		return nil
	}
	sess, entries, ok := s.take(pid)
	if !ok && s.closeLive(pid) {
		sess, entries, ok = s.take(pid)
	}
	if !ok {
		return nil
	}
	missed, ok := recovery.Replay(sess, entries, offset)
	if !ok || s.hub.Has(sess.SID) {
		return nil
	}
	return &resume{pid: pid, from: offset, sess: &sess, missed: missed}
}

// connectRecoverable adds a recovering page to the hub: a recovered one
// gets what it missed first, then its rooms and its login back, and the
// counts, as a login would.
func (s *Server) connectRecoverable(u *user, r *resume) {
	n := s.rec
	u.rec = &recState{pid: r.pid, from: r.from, prefix: r.missed}
	n.mu.Lock()
	n.live[r.pid] = u
	for _, e := range r.missed {
		u.page.Deliver(engine.NewMessage(e.Packet))
	}
	base := n.seq.Load()
	u.rec.m = recovery.Membership{SID: u.page.ID(), Base: base}
	s.hub.Add(u.page.ID(), u.page)
	var uid string
	var own []string
	if r.sess != nil {
		uid, own = r.sess.UID, r.sess.Own
		// Its rooms but the groups': the login given back joins those
		// the uid and the page are in now, as a login does.
		rooms := slices.DeleteFunc(slices.Clone(r.sess.Rooms), func(room string) bool {
			_, group := groupOf(room)
			return group
		})
		if uid != "" {
			rooms = append(rooms, uid)
		}
		s.hub.Join(u.page, rooms...)
		for _, room := range rooms {
			u.rec.m.Join(room, base)
		}
	}
	n.mu.Unlock()
	if r.sess != nil && r.sess.LoggedIn {
		s.logIn(u, uid, own, false)
	}
}

// awaitHandover waits, up to max or ctx's end, until every page parked
// here has been taken elsewhere (or expired), so that a draining instance
// keeps capturing their pushes until then. Only a shared store
// (RecoveryOptions.Store given: Redis) can hand a page to another instance.
// Drain calls it once every page has logged out, so parked.
func (n *numbering) awaitHandover(ctx context.Context, max time.Duration) {
	if !n.on || !n.shared {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	tick := time.NewTicker(drainPoll * 5)
	defer tick.Stop()
	for {
		n.mu.Lock()
		waiting := slices.Collect(maps.Values(n.byPID))
		n.mu.Unlock()
		if len(waiting) == 0 {
			return
		}
		for _, p := range waiting {
			// Each page is a store call: with thousands parked and the
			// store away, the calls alone outlast any bound.
			if ctx.Err() != nil {
				return
			}
			// After the page's own park: through the recorder.
			n.do(ctx, p.pid, func(ctx context.Context) {
				if ok, err := n.opts.Store.Parked(ctx, p.pid); err == nil && !ok {
					n.unpark(p)
				}
			})
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
