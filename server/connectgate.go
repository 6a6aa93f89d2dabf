package server

import (
	"sync"
	"time"

	"github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/socket/v3"
)

// connectWait bounds how long a connection's reader is held should its
// connect never complete.
const connectWait = 5 * time.Second

// connectGate works around a race in the Socket.IO library (v3.0.6): it
// sends a socket's CONNECT answer before it records the socket on its
// client, so an event sent the moment the client is connected — login, on
// every page — can be decoded in between, be taken for a packet of a
// namespace the client never joined, and get the connection closed. The
// gate holds the connection's reader from the start of the connect until
// the library reports the socket connected.
type connectGate struct {
	pending sync.Map // engine connection id → chan struct{}, closed when connected
}

// watch is the engine's connection listener: it runs before the first
// packet of conn is read.
func (g *connectGate) watch(args ...any) {
	conn, ok := args[0].(engine.Socket)
	if !ok {
		return
	}
	id := conn.Id()
	_ = conn.On("packet", func(...any) { g.wait(id) })
	_ = conn.Once("close", func(...any) { g.open(id) })
}

// arm is a namespace middleware: it runs before the library connects the
// socket, on the goroutine that read the client's CONNECT (for Engine.IO
// 3, before any packet is read).
func (g *connectGate) arm(sock *socket.Socket, next func(*socket.ExtendedError)) {
	conn := sock.Conn()
	g.pending.Store(conn.Id(), make(chan struct{}))
	if conn.ReadyState() == "closed" {
		g.open(conn.Id()) // closed already: its close listener has run
	}
	next(nil)
}

// wait holds the reader while the connection's connect is under way.
func (g *connectGate) wait(id string) {
	v, ok := g.pending.Load(id)
	if !ok {
		return
	}
	t := time.NewTimer(connectWait)
	defer t.Stop()
	select {
	case <-v.(chan struct{}):
	case <-t.C:
	}
}

// open releases the reader: the socket is connected, or the connection
// closed.
func (g *connectGate) open(id string) {
	if v, ok := g.pending.LoadAndDelete(id); ok {
		close(v.(chan struct{}))
	}
}
