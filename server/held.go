package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/hub"
	"github.com/pushio/pushio/push"
)

// Held messages (issue 12): a push with a ttl (push.Request.Hold) holds its
// message for each target uid, and each member by uid of a target group,
// that has no page anywhere (adapter.Holder:
// memory on one node; in a cluster Redis, in the fan-out's round trip:
// adapter.Outgoing.Hold), and the next
// page of that uid to log in takes them all and gets them right after its
// login, before its counts.
//
// A push that may be held carries an id (Packet.ID across the cluster).
// A page that logs in while such a push is under way could get it twice:
// live, since it is in its uid's room already, and held, when the push
// found the uid offline. So a login opens a landing before it joins the
// room: the ids handed to the page live until its take are not given
// again, and those it was given held are kept from it live for
// landingGrace after.

// landingGrace is how long after its take a page is kept from the live
// copies of the messages it was given held: the copy of a publish that
// held the message is on its way from Redis by the time the take returns.
const landingGrace = 5 * time.Second

// errNoHolder is a held-message call on a presence that holds none.
var errNoHolder = errors.New("server: this presence holds no messages")

// landings are the pages whose logins are taking held messages.
// Deliveries of pushes with an id read them under mu's read side, from
// the check to the hub's hand-off, so that a landing opened meanwhile
// sees every push that reaches its page.
type landings struct {
	mu  sync.RWMutex
	all map[*landing]struct{}
}

// landing is one page's: the ids it got live (seen) and those it was
// given held (given).
type landing struct {
	page  Page
	mu    sync.Mutex
	seen  map[string]struct{}
	given map[string]struct{}
}

// open opens page's landing and calls join, at once for the deliveries:
// each push that reaches the page live after join is seen.
func (ls *landings) open(page Page, join func()) *landing {
	l := &landing{page: page, seen: map[string]struct{}{}, given: map[string]struct{}{}}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.all == nil {
		ls.all = make(map[*landing]struct{})
	}
	ls.all[l] = struct{}{}
	join()
	return l
}

func (ls *landings) close(l *landing) {
	ls.mu.Lock()
	delete(ls.all, l)
	ls.mu.Unlock()
}

// except adds to except the landing pages that a push with id to rooms
// (but except) reaches and that were given it held, and records id as
// seen by the others it reaches; ls.mu's read side held.
func (ls *landings) except(h *rooms, rooms, except []string, id string) []string {
	out := except
	for l := range ls.all {
		in := h.Rooms(l.page)
		if len(in) == 0 || !reaches(in, rooms) || len(except) > 0 && reaches(in, except) {
			continue
		}
		l.mu.Lock()
		if _, given := l.given[id]; given {
			delete(l.given, id)
			out = append(out, l.page.ID())
		} else {
			l.seen[id] = struct{}{}
		}
		l.mu.Unlock()
	}
	return out
}

// reaches reports whether a page in rooms in (its own id first) is picked
// by rooms (every page when empty).
func reaches(in, rooms []string) bool {
	if len(rooms) == 0 {
		return true
	}
	for _, r := range rooms {
		if slices.Contains(in, r) {
			return true
		}
	}
	return false
}

// keep returns the held messages the page has not had live and records
// them as given.
func (l *landing) keep(held []adapter.Held) []adapter.Held {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := held[:0]
	for _, h := range held {
		if _, had := l.seen[h.ID]; had {
			continue
		}
		if _, twice := l.given[h.ID]; twice { // held again by a page that refused it (refused.go)
			continue
		}
		l.given[h.ID] = struct{}{}
		out = append(out, h)
	}
	return out
}

// broadcastHeld is broadcast of a push that may be held (h nil for
// none): it spares the landing pages that were given it held, and a page
// that refuses it (leaving) holds it for its uid when it logs out
// (refused.go).
func (s *Server) broadcastHeld(rooms, except []string, enc encoder, h *adapter.Hold) (int, error) {
	if h == nil {
		return s.broadcast(rooms, except, enc)
	}
	s.landings.mu.RLock()
	defer s.landings.mu.RUnlock()
	if len(s.landings.all) > 0 {
		except = s.landings.except(s.hub, rooms, except, h.Held.ID)
	}
	return s.broadcastHold(rooms, except, enc, h)
}

// enter joins the page to its uid's room, records it in the presence
// (with its own groups, own) and joins it to its groups' rooms; with a
// Holder it also takes the uid's held messages and returns those the page
// has not had live. The uid's room comes first, then the record and the
// read of its groups: a join by uid that this read misses is recorded
// after it, and its fan-out then finds the page in the uid's room; a
// leave that this read missed and that comes before the page is in the
// groups' rooms is kept for it (joining).
func (s *Server) enter(ctx context.Context, page Page, uid string, own []string) []adapter.Held {
	holder, ok := s.presence.(adapter.Holder)
	var l *landing
	if ok {
		l = s.landings.open(page, func() { s.join(page, uid) })
	} else {
		s.join(page, uid)
	}
	j := s.joining.start(uid)
	var groups []string
	var held []adapter.Held
	var err error
	if ok {
		groups, held, err = holder.JoinTake(ctx, uid, page.ID(), own)
	} else {
		groups, err = s.presence.Join(ctx, uid, page.ID(), own)
	}
	s.report(&s.outages.login, "login: recording presence", err, "uid", uid)
	s.joining.finish(j, groups, func(groups []string) {
		s.join(page, hub.GroupRooms(append(groups, own...))...)
	})
	if l == nil {
		return nil
	}
	if held = l.keep(held); len(held) == 0 {
		s.landings.close(l)
		return nil
	}
	time.AfterFunc(landingGrace, func() { s.landings.close(l) })
	return held
}

// deliverHeld hands a page the held messages its login took, in order,
// stamped (a recovering page gets the latest offset last, as with every
// event).
func (s *Server) deliverHeld(page Page, held []adapter.Held) {
	for _, h := range held {
		s.stamped(heldEncoder(h.Text), page.Deliver)
	}
	s.opts.Metrics.HeldDelivered(len(held))
}

// heldEncoder is a held message, the text of an EVENT packet of "/"
// (2[…]), with extra as one more argument, the last, when it is not "".
func heldEncoder(text []byte) encoder {
	return func(extra string) (*engine.Message, error) {
		if extra == "" {
			return engine.NewMessage(text), nil
		}
		if len(text) < 3 || text[0] != '2' || text[1] != '[' || text[len(text)-1] != ']' {
			return nil, fmt.Errorf("server: a held message that is not an event: %.20q", text)
		}
		arg, err := json.Marshal(extra)
		if err != nil {
			return nil, err
		}
		out := append(append(append(slices.Clip(text[:len(text)-1]), ','), arg...), ']')
		return engine.NewMessage(out), nil
	}
}

// pushIDs numbers this process's pushes that may be held: a random
// prefix per process and a counter, so that ids never repeat across the
// cluster.
type pushIDs struct {
	prefix string
	n      atomic.Uint64
}

func newPushIDs() *pushIDs {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &pushIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (p *pushIDs) next() string { return p.prefix + strconv.FormatUint(p.n.Add(1), 10) }

// holdFor is the hold of r, whose message is m, or nil: a message with
// a ttl, for uids or groups (not a broadcast, not a kick), no larger than
// hold.max_bytes, on a presence that holds messages. A message too large
// is counted as dropped for each offline uid (see counted).
func (s *Server) holdFor(r push.Request, m *pushMessage) *adapter.Hold {
	holder, ok := s.presence.(adapter.Holder)
	if !ok || r.Hold <= 0 || r.Kick || m == nil || len(r.Targets.UIDs)+len(r.Targets.Groups) == 0 {
		return nil
	}
	h := &adapter.Hold{Held: adapter.Held{ID: s.pushIDs.next(), Text: m.message().Text()}, TTL: r.Hold, Read: time.Now()}
	if h.Held.Size() > holder.HoldLimits().MaxBytes {
		return nil
	}
	return h
}

// reachHold reads the reach of o's targets on a single node, holding its
// message for the offline uids at once when it has a Hold.
func (s *Server) reachHold(ctx context.Context, o adapter.Outgoing) (push.Reach, error) {
	holder, ok := s.presence.(adapter.Holder)
	if o.Hold == nil || !ok {
		return s.presence.Reach(ctx, o.Targets)
	}
	t := o.Targets
	t.UIDs = nil
	r, err := s.presence.Reach(ctx, t)
	if err != nil {
		return r, err
	}
	o.Hold.Result, err = holder.HoldOffline(ctx, o.Targets.UIDs, o.Targets.Groups, o.Hold.Held, o.Hold.TTL)
	r.UIDs = o.Hold.Result.Online
	return r, err
}

// counted fills reach.Held, the uids r's message was held for, and counts
// the held and dropped messages.
func (s *Server) counted(r push.Request, o adapter.Outgoing, reach *push.Reach) {
	if r.Hold <= 0 || r.Kick || r.Message == nil || len(r.Targets.UIDs)+len(r.Targets.Groups) == 0 {
		return
	}
	if _, ok := s.presence.(adapter.Holder); !ok {
		return
	}
	reach.Held = []string{}
	if o.Hold == nil { // larger than hold.max_bytes
		n := 0
		for _, on := range reach.UIDs {
			if !on {
				n++
			}
		}
		s.opts.Metrics.Held(0, n)
		return
	}
	if o.Hold.Result.Held != nil {
		reach.Held = o.Hold.Result.Held
	}
	s.opts.Metrics.Held(len(reach.Held), o.Hold.Result.Dropped)
}

// HeldCount is how many messages are held for uid.
func (s *Server) HeldCount(ctx context.Context, uid string) (int, error) {
	holder, ok := s.presence.(adapter.Holder)
	if !ok {
		return 0, errNoHolder
	}
	n, err := holder.HeldCount(ctx, uid)
	if err != nil {
		return 0, fmt.Errorf("server: counting held messages: %w", err)
	}
	return n, nil
}

// Purge drops the messages held for uid and says how many there were.
func (s *Server) Purge(ctx context.Context, uid string) (int, error) {
	holder, ok := s.presence.(adapter.Holder)
	if !ok {
		return 0, errNoHolder
	}
	n, err := holder.Purge(ctx, uid)
	if err != nil {
		return 0, fmt.Errorf("server: purging held messages: %w", err)
	}
	return n, nil
}
