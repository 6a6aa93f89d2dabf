package server

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/engine"
)

// A push with a ttl to a page that is leaving (a reload: the browser
// closed its connection and the server has not yet seen the end of it)
// would be lost: the presence still counted the page, so the push was
// answered ok and not held, and either the page's transport refused it or
// the page had left the hub by the time the push got there. Such a push is
// kept for the page's uid and held for it, as pushes to an offline uid
// are (if the uid then has no page anywhere), once the presence no longer
// counts the page: at its logout, or at once when its logout is done
// (a push of this instance's that found the page gone). The page that comes
// back gets it at its login; a copy held twice is given once (held.go);
// a recovered page gets it from its replay (its login drops what it
// takes).

// refusals are the holds of the pushes being handed out, by message.
type refusals struct{ byMsg sync.Map } // *engine.Message → adapter.Hold

// handing notes that m, which h holds, is being handed out, until done
// is called; hold is h with the message as the pages here get it.
func (r *refusals) handing(m *engine.Message, h *adapter.Hold) (hold adapter.Hold, done func()) {
	hold = *h
	if hold.Held.Text == nil { // a push from another instance
		hold.Held.Text = m.Text()
	}
	r.byMsg.Store(m, hold)
	return hold, func() { r.byMsg.Delete(m) }
}

// refused notes that u's page did not take m (its connection is ending).
func (u *user) refused(m *engine.Message) {
	if u.refusals == nil {
		return
	}
	h, ok := u.refusals.byMsg.Load(m)
	if !ok {
		return
	}
	u.mu.Lock()
	u.unsent = append(u.unsent, h.(adapter.Hold))
	u.mu.Unlock()
}

// Refused is Deliver's report that the page did not take m: a page of
// another wire calls it when its connection refuses a message.
func (c *Conn) Refused(m *engine.Message) { c.u.refused(m) }

// leftWindow is how long after its last page here logged out a uid's
// late pushes are still held for it.
const leftWindow = time.Second

// departures are the uids whose pages here are leaving (out of the hub,
// their logout not done) or left a moment ago.
type departures struct {
	mu      sync.Mutex
	pending map[string][]*user   // by uid: pages between their disconnect and the end of their logout
	left    map[string]time.Time // by uid: when its last leaving page here logged out
	pruned  time.Time            // when left was last rid of its expired uids
}

// leaving notes that u's page is disconnecting, before it leaves the hub.
func (d *departures) leaving(u *user) {
	uid, logged, _ := u.current()
	if !logged {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pending == nil {
		d.pending, d.left = make(map[string][]*user), make(map[string]time.Time)
	}
	d.pending[uid] = append(d.pending[uid], u)
}

// has reports whether a page of uid here is leaving or left within
// leftWindow: a push to uid may still be one it missed.
func (d *departures) has(uid string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.pending[uid]) > 0 {
		return true
	}
	at, ok := d.left[uid]
	return ok && time.Since(at) < leftWindow
}

// missed keeps hold for each uid of rooms that has no page in the hub
// and whose page here is leaving or just left.
func (d *departures) missed(s *Server, rooms []string, hold adapter.Hold) {
	var late []string
	d.mu.Lock()
	for _, r := range rooms {
		if d.pending == nil {
			break
		}
		if _, group := groupOf(r); group || s.hub.Has(r) {
			continue
		}
		if us := d.pending[r]; len(us) > 0 {
			u := us[0]
			u.mu.Lock()
			u.unsent = append(u.unsent, hold)
			u.mu.Unlock()
		} else if at, ok := d.left[r]; ok && time.Since(at) < leftWindow && lateHere(hold, r, at) {
			late = append(late, r)
		}
	}
	d.mu.Unlock()
	if len(late) > 0 {
		go s.holdMissed(late, []adapter.Hold{hold})
	}
}

// lateHere reports whether a push that found uid's page here gone after
// its logout (at left) is to be held for uid: one whose reach was read
// before that logout (so it may have counted the page: by this
// instance's clock, or by its sender's, carried on the fan-out's wire)
// and did not hold it for uid. A push read after it is not (it counted
// another page of uid's, which got it), nor one whose read time is not
// known (a Node emitter's).
func lateHere(hold adapter.Hold, uid string, left time.Time) bool {
	return !hold.Read.IsZero() && hold.Read.Before(left) && !slices.Contains(hold.Result.Held, uid)
}

// done takes c's page out of the leaving ones of uid and returns the
// pushes it kept; its logout calls it once the presence no longer counts
// the page.
func (d *departures) done(c *user, uid string) []adapter.Hold {
	d.mu.Lock()
	defer d.mu.Unlock()
	c.mu.Lock()
	unsent := c.unsent
	c.unsent = nil
	c.mu.Unlock()
	if d.pending == nil {
		return unsent
	}
	us := slices.DeleteFunc(d.pending[uid], func(u *user) bool { return u == c })
	if len(us) > 0 {
		d.pending[uid] = us
		return unsent
	}
	delete(d.pending, uid)
	now := time.Now()
	if len(d.left) >= leftPrune && now.Sub(d.pruned) >= leftWindow {
		// At most once a window: 10,000 pages leaving at once would
		// otherwise scan the map at each logout.
		d.pruned = now
		for k, at := range d.left {
			if now.Sub(at) >= leftWindow {
				delete(d.left, k)
			}
		}
	}
	d.left[uid] = now
	return unsent
}

// leftPrune is how many uids that left may be kept before the expired
// ones are dropped (at most once a leftWindow, so the map holds the uids
// of two windows at most).
const leftPrune = 1024

// holdUnsent holds for uid what c's page kept; its logout calls it once
// the presence no longer counts the page.
func (s *Server) holdUnsent(c *user, uid string) {
	if unsent := s.departures.done(c, uid); len(unsent) > 0 {
		s.holdMissed([]string{uid}, unsent)
	}
}

// holdMissed holds each of holds for each of uids that has no page
// anywhere.
func (s *Server) holdMissed(uids []string, holds []adapter.Hold) {
	holder, ok := s.presence.(adapter.Holder)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CallTimeout)
	defer cancel()
	for _, h := range holds {
		res, err := holder.HoldOffline(ctx, uids, nil, h.Held, h.TTL)
		s.report(&s.outages.hold, "holding a push a leaving page missed", err, "uids", uids, "id", h.Held.ID)
		if err != nil {
			continue
		}
		s.opts.Metrics.Held(len(res.Held), res.Dropped)
		s.log.Debug("a push a leaving page missed", "uids", uids, "id", h.Held.ID, "held", res.Held)
	}
}
