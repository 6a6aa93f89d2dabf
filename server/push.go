package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/push"
	"github.com/pushio/pushio/socketio"
)

// errKickAll is a kick that names no page: it would end every page.
var errKickAll = errors.New("server: a kick names no uid or client")

// Send carries out reqs, publishes and kicks, in order: each message to
// the pages its targets pick on every instance (the other instances
// first, then this one's), each kick's pages disconnected after their
// message. It reports each request's reach, read from the presence in the
// same round trip as the other instances' share (one for all of reqs). A
// message goes even to targets that are offline, as the original does.
// If the other instances cannot be reached nothing is delivered and the
// error says why; a kick without targets is refused, with nothing sent.
func (s *Server) Send(ctx context.Context, reqs []push.Request) ([]push.Reach, error) {
	start := time.Now()
	out := make([]adapter.Outgoing, len(reqs))
	msgs := make([]*pushMessage, len(reqs))
	for i, r := range reqs {
		if r.Kick && r.Targets.Broadcast() {
			return nil, errKickAll
		}
		out[i] = adapter.Outgoing{Targets: r.Targets, Kick: r.Kick}
		if r.Message == nil {
			continue
		}
		m, err := newPushMessage(*r.Message)
		if err != nil {
			return nil, err
		}
		msgs[i] = m
		out[i].Hold = s.holdFor(r, m)
		if s.fanout != nil {
			out[i].Packet = m.packet()
			if h := out[i].Hold; h != nil {
				out[i].Packet.ID, out[i].Packet.TTL, out[i].Packet.Read = h.Held.ID, h.TTL, h.Read
			}
		}
	}
	reach, err := s.reachAndSend(ctx, out)
	if err != nil {
		return nil, fmt.Errorf("server: sending %d pushes: %w", len(reqs), err)
	}
	for i, r := range reqs {
		s.counted(r, out[i], &reach[i])
		s.sendHere(r, msgs[i], out[i].Hold)
	}
	s.opts.Metrics.ObserveFanout(time.Since(start))
	return reach, nil
}

// reachAndSend hands out to the other instances and reads the reach of
// its targets: one call to the fan-out, or, on a single node, to the
// presence for each push that has targets.
func (s *Server) reachAndSend(ctx context.Context, out []adapter.Outgoing) ([]push.Reach, error) {
	if s.fanout != nil {
		return s.fanout.Send(ctx, out)
	}
	reach := make([]push.Reach, len(out))
	for i, o := range out {
		if o.Targets.Broadcast() {
			continue
		}
		r, err := s.reachHold(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("looking up presence: %w", err)
		}
		reach[i] = r
	}
	return reach, nil
}

// sendHere does r on this instance's pages, with m its message (nil for
// none) and h its hold (nil for none).
func (s *Server) sendHere(r push.Request, m *pushMessage, h *adapter.Hold) {
	rooms, except := r.Targets.Rooms(), r.Targets.Exclude
	if !r.Kick {
		n, _ := s.broadcastHeld(rooms, except, m.encoder(), h)
		s.opts.Metrics.Delivered(n)
		return
	}
	pages := local{s}.pages("/", adapter.Selector{Rooms: rooms, Except: except})
	for _, p := range pages {
		if m != nil {
			p.Deliver(m.message())
		}
		p.Close() // after what is queued: the message first
	}
	if m != nil {
		s.opts.Metrics.Delivered(len(pages))
	}
}

// pushMessage is a push as this instance's pages get it, encoded once and
// only when first needed: a push that picks no page here (an offline uid,
// one whose pages are on other instances) and is not held is never
// encoded. One goroutine uses it (Send's).
type pushMessage struct {
	p push.Message
	m *engine.Message
}

// newPushMessage is p's pushMessage; a JSON argument is encoded at once,
// so that its error (none for JSON that ParseJSON checked) comes before
// anything is sent.
func newPushMessage(p push.Message) (*pushMessage, error) {
	pm := &pushMessage{p: p}
	if p.JSON != nil {
		m, err := pm.encode("")
		if err != nil {
			return nil, fmt.Errorf("server: encoding event %s: %w", p.Name(), err)
		}
		pm.m = m
	}
	return pm, nil
}

// encode is the push as an event, with extra as its last argument when
// not "" (a recovering page's offset).
func (pm *pushMessage) encode(extra string) (*engine.Message, error) {
	name := pm.p.Name()
	switch {
	case pm.p.JSON != nil && extra == "":
		return socketio.EncodeEvent("/", name, json.RawMessage(pm.p.JSON))
	case pm.p.JSON != nil:
		return socketio.EncodeEvent("/", name, json.RawMessage(pm.p.JSON), extra)
	case extra == "":
		return socketio.EncodePush(name, pm.p.Text), nil
	}
	return socketio.EncodePush(name, pm.p.Text, extra), nil
}

// message is the push encoded for pages (a text push's encoding cannot
// fail; a JSON one's was made by newPushMessage).
func (pm *pushMessage) message() *engine.Message {
	if pm.m == nil {
		pm.m, _ = pm.encode("")
	}
	return pm.m
}

// packet is the push as the other instances get it: the event and its
// decoded argument.
func (pm *pushMessage) packet() *adapter.Packet {
	return &adapter.Packet{Type: packetEvent, Nsp: "/", Data: []any{pm.p.Name(), pm.p.Arg()}}
}

// encoder encodes the push for broadcastHold: without an offset, the
// message; with one (recovering pages), the same event with it last.
func (pm *pushMessage) encoder() encoder {
	return func(extra string) (*engine.Message, error) {
		if extra == "" {
			return pm.message(), nil
		}
		return pm.encode(extra)
	}
}

// Publish is Send of one new_msg with content to the uids in to (every
// page when empty), reporting for each uid whether it was online.
func (s *Server) Publish(ctx context.Context, to []string, content string) ([]bool, error) {
	reach, err := s.Send(ctx, []push.Request{{Message: &push.Message{Text: content}, Targets: push.Targets{UIDs: to}}})
	if err != nil {
		return nil, err
	}
	return reach[0].UIDs, nil
}

// Reach reports whether each uid and each client of t has a page
// anywhere in the cluster.
func (s *Server) Reach(ctx context.Context, t push.Targets) (push.Reach, error) {
	r, err := s.presence.Reach(ctx, t)
	if err != nil {
		return r, fmt.Errorf("server: looking up presence: %w", err)
	}
	return r, nil
}

// Clients lists the client ids of uid's pages anywhere in the cluster
// (adapter.Presence.Clients).
func (s *Server) Clients(ctx context.Context, uid, after string, limit int) ([]string, bool, error) {
	ids, more, err := s.presence.Clients(ctx, uid, after, limit)
	if err != nil {
		return nil, false, fmt.Errorf("server: listing the clients of a uid: %w", err)
	}
	return ids, more, nil
}
