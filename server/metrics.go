package server

import (
	"sync"
	"time"

	"github.com/zishang520/socket.io/servers/engine/v3/transports"
	"github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/pushio/pushio/internal/metrics"
)

// instrument feeds Options.Metrics: the online counts, every connection
// by transport and protocol, and each new_msg handed to a connection.
func (s *Server) instrument() {
	m := s.opts.Metrics
	if m == nil {
		return
	}
	m.SetOnlineSource(func() (uids, pages int64) {
		c := s.lastCounts.Load()
		return c.UIDs, c.Pages
	})
	s.io.On("connection", func(args ...any) {
		if sock, ok := args[0].(*socket.Socket); ok {
			trackConnection(sock, m)
		}
	})
}

// emitter is what a publish is emitted through: every socket, or rooms.
type emitter interface {
	Emit(ev string, args ...any) error
}

// fanout emits new_msg through e and records how long it took.
func (s *Server) fanout(e emitter, content string) error {
	start := time.Now()
	err := e.Emit(EventNewMsg, content)
	s.opts.Metrics.ObserveFanout(time.Since(start))
	return err
}

// connTracker keeps one connection counted under its current transport.
type connTracker struct {
	m        *metrics.Metrics
	protocol int
	mu       sync.Mutex
	// transport is what the connection is counted under; "" is not counted.
	transport string
}

// trackConnection counts sock until it disconnects, moving it from polling
// to websocket when it upgrades, and counts the new_msg sent to it.
func trackConnection(sock *socket.Socket, m *metrics.Metrics) {
	conn := sock.Conn()
	t := &connTracker{m: m, protocol: conn.Protocol()}
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = conn.On("upgrade", func(args ...any) {
		if tr, ok := args[0].(transports.Transport); ok {
			t.moveTo(tr.Name())
		}
	})
	_ = sock.On("disconnect", func(...any) { t.moveTo("") })
	sock.OnAnyOutgoing(func(args ...any) {
		if len(args) > 0 && args[0] == EventNewMsg {
			m.Delivered()
		}
	})
	if sock.Disconnected() {
		return // gone before its disconnect listener was in place
	}
	if tr := conn.Transport(); tr != nil {
		t.transport = tr.Name()
		m.ConnectionOpened(t.transport, t.protocol)
	}
}

// moveTo counts the connection under transport instead, or no longer
// when transport is "". Once uncounted, it stays so.
func (t *connTracker) moveTo(transport string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.transport == "" || t.transport == transport {
		return
	}
	t.m.ConnectionClosed(t.transport, t.protocol)
	t.transport = transport
	if transport != "" {
		t.m.ConnectionOpened(transport, t.protocol)
	}
}
