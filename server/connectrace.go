package server

import (
	"sync"
	"time"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/socket/v3"
)

// connectWait bounds how long a client's packets are held back waiting
// for its namespace connection.
const connectWait = 5 * time.Second

// nspGate closes a race in the library (v3.0.6): it sends the namespace
// CONNECT answer before it records the namespace as joined, on another
// goroutine than the one reading the client. A client that emits at once
// on connect (socket.emit('login') in its 'connect' handler, over
// websocket) can get its event read in between, which the library takes
// for a protocol error and closes the connection. The gate holds a
// session's Socket.IO packets, once it asked for the default namespace
// (Engine.IO 3 clients join it implicitly), until the server's connection
// event says it is joined, or connectWait at most, once. The hold is on
// that client's reading only.
type nspGate struct {
	joined  chan struct{}
	once    sync.Once
	pending bool // the client asked for the namespace; reader goroutine only
}

func (g *nspGate) open() { g.once.Do(func() { close(g.joined) }) }

// gateOf returns the gate of an Engine.IO session: the connection event
// of an Engine.IO 3 session can come before the engine's.
func (s *Server) gateOf(id string) *nspGate {
	g, _ := s.nspGates.LoadOrStore(id, &nspGate{joined: make(chan struct{})})
	return g.(*nspGate)
}

// gateNamespace installs the gate on a new Engine.IO session.
func (s *Server) gateNamespace(es engine.Socket) {
	g := s.gateOf(es.Id())
	g.pending = es.Protocol() == 3
	_ = es.On("packet", func(args ...any) {
		p, _ := args[0].(*packet.Packet)
		if p == nil || p.Type != packet.MESSAGE {
			return
		}
		select {
		case <-g.joined:
			return
		default:
		}
		if isDefaultConnect(p) {
			g.pending = true
			return
		}
		if !g.pending {
			return
		}
		t := time.NewTimer(connectWait)
		defer t.Stop()
		select {
		case <-g.joined:
		case <-t.C:
			g.open() // let the library judge the client
		}
	})
	_ = es.Once("close", func(...any) {
		s.nspGates.Delete(es.Id())
		g.open()
	})
}

// namespaceJoined opens the gate of sock's session.
func (s *Server) namespaceJoined(sock *socket.Socket) {
	if sock.Conn().ReadyState() != "closed" { // a closed one would leave its gate behind
		s.gateOf(sock.Conn().Id()).open()
	}
}

// closeWithSession disconnects sock when its Engine.IO session closes, or
// at once if it has. The library (v3.0.6) adds a socket to its namespace on
// another goroutine than the one that closes the session, and a session
// that closes between its check that the session is open and its record of
// the socket never tells that socket: a client that connects and vanishes
// at once left it in the namespace for good, counted and holding its
// memory. Every other socket is disconnected by the library first, and
// this does nothing.
func closeWithSession(sock *socket.Socket) {
	conn := sock.Conn()
	var once sync.Once
	disconnect := func(...any) { once.Do(func() { sock.Disconnect(false) }) }
	_ = conn.Once("close", disconnect)
	if conn.ReadyState() == "closed" {
		disconnect()
	}
}

// isDefaultConnect tells a Socket.IO CONNECT to "/" ("0" or "0{auth}")
// without consuming the packet's data.
func isDefaultConnect(p *packet.Packet) bool {
	peek, ok := p.Data.(interface{ Peek(int) ([]byte, error) })
	if !ok {
		return false
	}
	b, _ := peek.Peek(2)
	return len(b) > 0 && b[0] == '0' && (len(b) == 1 || b[1] == '{')
}
