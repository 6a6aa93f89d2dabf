package server

import (
	"errors"

	"github.com/gorilla/websocket"
	"github.com/zishang520/socket.io/servers/engine/v3"
)

// onEngineConnection wires a new Engine.IO session: it claims the ticket
// its handshake request took, bounds its outgoing queue, holds its events
// until its namespace is joined and counts a websocket closed for an
// oversize message.
func (s *Server) onEngineConnection(es engine.Socket) {
	t := ticketFrom(es.Request().Request().Context())
	if t != nil {
		t.claimed.Store(true)
	}
	s.watchQueue(es)
	s.gateNamespace(es)
	_ = es.Once("close", func(args ...any) {
		if t != nil {
			t.release()
		}
		if len(args) > 1 {
			if err, _ := args[1].(error); errors.Is(err, websocket.ErrReadLimit) {
				s.log.Info("client disconnected: message over io.max_payload", "sid", es.Id(), "ip", es.RemoteAddress())
				s.opts.Metrics.PayloadTooLarge()
			}
		}
	})
}
