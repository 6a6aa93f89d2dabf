package engine

import (
	"errors"
	"io"
	"net/http"

	"github.com/pushio/pushio/engine/parser"
	"github.com/pushio/pushio/wsconn"
)

// openWebsocket opens a session whose first transport is a websocket.
func (e *Server) openWebsocket(w http.ResponseWriter, r *http.Request, protocol int) {
	c, err := wsconn.Upgrade(w, r, e.poller)
	if err != nil {
		return // wsconn answered the bad handshake
	}
	s := e.newSession(r, protocol, transportWebsocket)
	s.ws = c
	s.opened(r, false)
	if !e.add(s) {
		s.end(ReasonServerShutdown)
		return
	}
	c.Start((*wsHandler)(s))
}

// upgrade takes a websocket for polling session s: the client probes it,
// then sends the upgrade packet, and from then on s runs on it.
func (e *Server) upgrade(w http.ResponseWriter, r *http.Request, s *Session) {
	s.mu.Lock()
	ok := s.state == stateOpen && s.transport == transportPolling && s.probe == nil
	s.mu.Unlock()
	if !ok {
		// As Node: the handshake succeeds and the websocket is closed.
		if c, err := wsconn.Upgrade(w, r, e.poller); err == nil {
			c.CloseNow(nil)
		}
		return
	}
	c, err := wsconn.Upgrade(w, r, e.poller)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.state != stateOpen || s.probe != nil {
		s.mu.Unlock()
		c.CloseNow(nil)
		return
	}
	s.probe = c
	s.mu.Unlock()
	t := s.upgradeTimer(c)
	c.Start(&probeHandler{s: s, stop: t.Stop})
}

// wsHandler reads a session's websocket.
type wsHandler Session

func (h *wsHandler) OnMessage(c *wsconn.Conn, binary bool, data []byte) {
	s := (*Session)(h)
	p, err := parser.DecodeFrame(s.protocol, binary, data)
	if err != nil {
		s.end(ReasonParseError)
		return
	}
	s.onPacket(p)
}

func (h *wsHandler) OnClose(c *wsconn.Conn, err error) {
	(*Session)(h).end(closeReason(err))
}

// closeReason names why a websocket ended.
func closeReason(err error) string {
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return ReasonTransportClose
	case errors.Is(err, wsconn.ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, wsconn.ErrSlow), errors.Is(err, wsconn.ErrWriteTimeout):
		return ReasonSlow
	case errors.Is(err, wsconn.ErrPollerClosed):
		return ReasonServerShutdown
	}
	return ReasonTransportError
}

// probeHandler reads a websocket that is not yet the session's transport.
type probeHandler struct {
	s    *Session
	stop func() bool
	done bool // upgraded: the session reads it now
}

func (h *probeHandler) OnMessage(c *wsconn.Conn, binary bool, data []byte) {
	s := h.s
	if h.done {
		(*wsHandler)(s).OnMessage(c, binary, data)
		return
	}
	p, err := parser.DecodeFrame(s.protocol, binary, data)
	switch {
	case err == nil && p.Type == parser.Ping && string(p.Data) == "probe":
		s.mu.Lock()
		if s.probe == c {
			_ = c.Send(framePongProbe)
			s.probing = true
			// The pending poll ends with a noop, so the client can pause
			// polling and send the upgrade packet.
			s.queue = append(s.queue, parser.Packet{Type: parser.Noop})
			s.wake()
		}
		s.mu.Unlock()
	case err == nil && p.Type == parser.Upgrade:
		if h.s.completeUpgrade(c) {
			h.done = true
			h.stop()
			if f := s.srv.opts.OnUpgrade; f != nil {
				f(s)
			}
			return
		}
		c.CloseNow(nil)
	default:
		h.stop()
		s.dropProbe(c)
	}
}

func (h *probeHandler) OnClose(c *wsconn.Conn, err error) {
	if h.done {
		(*wsHandler)(h.s).OnClose(c, err)
		return
	}
	h.stop()
	h.s.dropProbe(c)
}

// completeUpgrade makes c the session's transport: what the polling queue
// held goes out on it first, and a pending poll ends.
func (s *Session) completeUpgrade(c *wsconn.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || s.probe != c || !s.probing {
		return false
	}
	s.transport, s.ws, s.probe, s.probing = transportWebsocket, c, nil, false
	queued := s.queue
	s.queue, s.queued, s.msgs = nil, 0, 0
	s.wake()
	for _, p := range queued {
		if p.Type == parser.Noop {
			continue
		}
		if err := c.Send(packetFrame(s.protocol, p)); err != nil {
			go s.end(ReasonSlow)
			break
		}
	}
	return true
}

// dropProbe closes a probe that failed; the session stays on polling.
func (s *Session) dropProbe(c *wsconn.Conn) {
	s.mu.Lock()
	if s.probe == c {
		s.probe, s.probing = nil, false
	}
	s.mu.Unlock()
	c.CloseNow(nil)
}
