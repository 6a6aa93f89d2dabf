package server

import (
	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/push"
)

// packetEvent is Socket.IO's EVENT packet type; packetBinaryEvent its
// BINARY_EVENT.
const (
	packetEvent       = 2
	packetBinaryEvent = 5
)

// local is this instance's side of the fan-out (adapter.Local): what the
// other instances' broadcasts and requests do here.
type local struct{ s *Server }

var _ adapter.Local = local{}

func (l local) Deliver(p adapter.Packet, sel adapter.Selector) {
	if p.Nsp != "/" || (p.Type != packetEvent && p.Type != packetBinaryEvent) || len(p.Data) == 0 {
		return
	}
	event, ok := p.Data[0].(string)
	if !ok {
		return
	}
	var h *adapter.Hold
	if p.ID != "" {
		h = &adapter.Hold{Held: adapter.Held{ID: p.ID}, TTL: p.TTL, Read: p.Read}
	}
	n, err := l.s.broadcastHeld(sel.Rooms, sel.Except, eventEncoder(event, p.Data[1:]), h)
	if err != nil {
		l.s.log.Debug("fan-out: a broadcast that cannot be encoded", "err", err)
		return
	}
	if !push.Reserved(event) {
		l.s.opts.Metrics.Delivered(n)
	}
}

// Has reports whether a broadcast to room may concern this instance: a
// page here is in it, connected or parked, or (a uid's room) one of the
// uid's pages here is leaving or just left, for which a push with a ttl
// that reached it too late is still held (departures.missed).
func (l local) Has(room string) bool { return l.s.pageIn(room) || l.s.departures.has(room) }

// pages are the pages of every wire that sel selects in nsp ("/" only:
// the other wires' pages are all in it).
func (l local) pages(nsp string, sel adapter.Selector) []Page {
	if nsp != "/" {
		return nil
	}
	members := l.s.hub.Members(sel.Rooms, sel.Except)
	out := make([]Page, 0, len(members))
	for _, m := range members {
		if p, ok := m.(Page); ok {
			out = append(out, p)
		}
	}
	return out
}

func (l local) Join(nsp string, sel adapter.Selector, rooms []string) {
	for _, p := range l.pages(nsp, sel) {
		l.s.joinRooms(p, sel, rooms)
	}
}

func (l local) Leave(nsp string, sel adapter.Selector, rooms []string) {
	l.s.joining.leave(sel, rooms, func() {
		for _, p := range l.pages(nsp, sel) {
			l.s.leaveRooms(p, sel, rooms)
		}
	})
}

func (l local) Disconnect(nsp string, sel adapter.Selector, close bool) {
	for _, p := range l.pages(nsp, sel) {
		p.Close()
	}
}

func (l local) Fetch(nsp string, sel adapter.Selector) []adapter.SocketInfo {
	pages := l.pages(nsp, sel)
	out := make([]adapter.SocketInfo, 0, len(pages))
	for _, p := range pages {
		addr, opened := p.Info()
		out = append(out, adapter.SocketInfo{ID: p.ID(), Rooms: l.s.hub.Rooms(p), Addr: addr, Issued: opened})
	}
	return out
}

func (l local) Rooms(nsp string) []string {
	if nsp != "/" {
		return nil
	}
	return l.s.hub.AllRooms()
}
