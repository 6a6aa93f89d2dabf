package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/socketio"
)

// Held messages (issue 12): a publish with a ttl holds its message for
// each target uid that has no page anywhere (adapter.Holder: memory on one
// node; in a cluster Redis, in the fan-out's round trip), and the next
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

// landings are the pages whose logins are taking held messages, by uid.
// Deliveries of pushes with an id read them under mu's read side, from
// the check to the hub's hand-off, so that a landing opened meanwhile
// sees every push that reaches its page.
type landings struct {
	mu    sync.RWMutex
	byUID map[string][]*landing
}

// landing is one page's: the ids it got live (seen) and those it was
// given held (given).
type landing struct {
	page  string
	mu    sync.Mutex
	seen  map[string]struct{}
	given map[string]struct{}
}

// open opens page's landing and calls join, at once for the deliveries:
// each push that reaches the page live after join is seen.
func (ls *landings) open(uid, page string, join func()) *landing {
	l := &landing{page: page, seen: map[string]struct{}{}, given: map[string]struct{}{}}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.byUID == nil {
		ls.byUID = make(map[string][]*landing)
	}
	ls.byUID[uid] = append(ls.byUID[uid], l)
	join()
	return l
}

func (ls *landings) close(uid string, l *landing) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	list := ls.byUID[uid]
	for i, x := range list {
		if x == l {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(ls.byUID, uid)
	} else {
		ls.byUID[uid] = list
	}
}

// except adds to except the landing pages of rooms that were given id
// held, and records id as seen by the others; ls.mu's read side held.
func (ls *landings) except(rooms, except []string, id string) []string {
	for _, r := range rooms {
		for _, l := range ls.byUID[r] {
			l.mu.Lock()
			if _, given := l.given[id]; given {
				delete(l.given, id)
				except = append(except, l.page)
			} else {
				l.seen[id] = struct{}{}
			}
			l.mu.Unlock()
		}
	}
	return except
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
		l.given[h.ID] = struct{}{}
		out = append(out, h)
	}
	return out
}

// broadcast hands m to this instance's pages in rooms but except (every
// page when rooms is empty); a push with an id spares the landing pages
// that were given it held.
func (s *Server) broadcast(rooms, except []string, m *engine.Message, id string) int {
	if id == "" {
		return s.hub.Broadcast(rooms, except, m)
	}
	s.landings.mu.RLock()
	defer s.landings.mu.RUnlock()
	if len(s.landings.byUID) > 0 {
		except = s.landings.except(rooms, except, id)
	}
	return s.hub.Broadcast(rooms, except, m)
}

// enter joins the page to its uid's room and records it in the presence;
// with a Holder it also takes the uid's held messages and returns those
// the page has not had live.
func (s *Server) enter(ctx context.Context, page Page, uid string) []adapter.Held {
	holder, ok := s.presence.(adapter.Holder)
	if !ok {
		s.hub.Join(page, uid)
		if err := s.presence.Join(ctx, uid); err != nil {
			s.log.Warn("login: recording presence failed", "uid", uid, "err", err)
		}
		return nil
	}
	l := s.landings.open(uid, page.ID(), func() { s.hub.Join(page, uid) })
	held, err := holder.JoinTake(ctx, uid)
	if err != nil {
		s.log.Warn("login: recording presence and taking held messages failed", "uid", uid, "err", err)
	}
	held = l.keep(held)
	if len(held) == 0 {
		s.landings.close(uid, l)
		return nil
	}
	time.AfterFunc(landingGrace, func() { s.landings.close(uid, l) })
	return held
}

// deliverHeld hands a page the held messages its login took, in order.
func (s *Server) deliverHeld(page Page, held []adapter.Held) {
	for _, h := range held {
		page.Deliver(engine.NewMessage(h.Text))
	}
	s.opts.Metrics.HeldDelivered(len(held))
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

// PublishHeld is Publish, and holds the message for ttl for each uid of
// to that has no page anywhere (atomically with the presence check: a page
// logging in meanwhile either got it live or takes it). It reports for
// each uid whether it was online and whether the message was held for it.
// A ttl of 0, a broadcast (to empty), a presence that holds nothing or a
// message larger than hold.max_bytes holds nothing.
func (s *Server) PublishHeld(ctx context.Context, to []string, content string, ttl time.Duration) (online, held []bool, err error) {
	holder, ok := s.presence.(adapter.Holder)
	msg := socketio.EncodePush(EventNewMsg, content)
	h := adapter.Held{ID: s.pushIDs.next(), Text: msg.Text()}
	if !ok || ttl <= 0 || len(to) == 0 || h.Size() > holder.HoldLimits().MaxBytes {
		online, err := s.Publish(ctx, to, content)
		if err == nil && ok && ttl > 0 {
			s.opts.Metrics.Held(0, offline(online))
		}
		return online, make([]bool, len(to)), err
	}
	start := time.Now()
	p := newMsgPacket(content)
	p.ID = h.ID
	var dropped int
	if hf, ok := s.fanout.(adapter.HoldFanout); ok {
		online, dropped, err = hf.BroadcastHold(ctx, p, to, h, ttl)
	} else {
		online, dropped, err = holder.HoldOffline(ctx, to, h, ttl)
		if err == nil && s.fanout != nil {
			err = s.fanout.Broadcast(ctx, p, adapter.Selector{Rooms: to})
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("server: emitting new_msg to %d uids and holding it for the offline: %w", len(to), err)
	}
	s.deliver(to, msg, h.ID, start)
	held = make([]bool, len(to))
	for i, on := range online {
		held[i] = !on
	}
	s.opts.Metrics.Held(offline(online), dropped)
	return online, held, nil
}

func offline(online []bool) int {
	n := 0
	for _, on := range online {
		if !on {
			n++
		}
	}
	return n
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
