package server

import (
	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/socketio"
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
	m, err := socketio.EncodeEvent("/", event, p.Data[1:]...)
	if err != nil {
		l.s.log.Debug("fan-out: a broadcast that cannot be encoded", "err", err)
		return
	}
	n := l.s.hub.Broadcast(sel.Rooms, sel.Except, m)
	if event == EventNewMsg {
		l.s.opts.Metrics.Delivered(n)
	}
}

func (l local) Has(room string) bool { return l.s.hub.Has(room) }

func (l local) sockets(nsp string, sel adapter.Selector) []*socketio.Socket {
	if nsp != "/" {
		return nil
	}
	members := l.s.hub.Members(sel.Rooms, sel.Except)
	out := make([]*socketio.Socket, 0, len(members))
	for _, m := range members {
		if sock, ok := m.(*socketio.Socket); ok {
			out = append(out, sock)
		}
	}
	return out
}

func (l local) Join(nsp string, sel adapter.Selector, rooms []string) {
	for _, sock := range l.sockets(nsp, sel) {
		l.s.hub.Join(sock, rooms...)
	}
}

func (l local) Leave(nsp string, sel adapter.Selector, rooms []string) {
	for _, sock := range l.sockets(nsp, sel) {
		l.s.hub.Leave(sock, rooms...)
	}
}

func (l local) Disconnect(nsp string, sel adapter.Selector, close bool) {
	for _, sock := range l.sockets(nsp, sel) {
		sock.Disconnect()
	}
}

func (l local) Fetch(nsp string, sel adapter.Selector) []adapter.SocketInfo {
	socks := l.sockets(nsp, sel)
	out := make([]adapter.SocketInfo, 0, len(socks))
	for _, sock := range socks {
		out = append(out, adapter.SocketInfo{ID: sock.ID(), Rooms: l.s.hub.Rooms(sock),
			Addr: sock.Session().RemoteAddr(), Issued: sock.Session().Opened()})
	}
	return out
}

func (l local) Rooms(nsp string) []string {
	if nsp != "/" {
		return nil
	}
	return l.s.hub.AllRooms()
}
