package engine

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/pushio/pushio/engine/parser"
	"github.com/pushio/pushio/wsconn"
)

// ErrClosed is Send on a session that has ended or is closing.
var ErrClosed = errors.New("engine: session closed")

const (
	transportPolling = iota
	transportWebsocket
)

const (
	stateOpen = iota
	stateClosing
	stateClosed
)

// Session is one Engine.IO session.
type Session struct {
	srv      *Server
	id       string
	protocol int
	remote   string
	b64      bool // EIO 3: the handshake asked for base64 payloads

	born time.Time

	// Value is the layer above's (socketio), App the application's; both
	// are set in Handler.OnOpen.
	Value, App any

	// in serialises the handler's calls: OnMessage from a websocket read
	// or a polling POST, and OnClose, after which none comes (handled).
	in      sync.Mutex
	handled bool

	mu        sync.Mutex
	transport int
	state     int
	reason    string // why a closing session closes
	// polling
	queue   []parser.Packet
	queued  int64
	msgs    int
	waiter  chan struct{} // the pending GET's wake-up
	parked  *parkedPoll   // or the pending GET, hijacked (park.go)
	probing bool          // a websocket answered the probe: polls end at once
	// websocket
	ws    *wsconn.Conn
	probe *wsconn.Conn
	// heartbeat, in the server's wheel
	hb timer
	// deadline: past it, the session is dead for want of a pong (EIO 4) or
	// a ping (EIO 3), even if the wheel has not fired yet; zero is none.
	deadline time.Time
}

// ID is the session id (sid).
func (s *Session) ID() string { return s.id }

// Protocol is the Engine.IO protocol, 3 or 4.
func (s *Session) Protocol() int { return s.protocol }

// Opened is when the handshake came.
func (s *Session) Opened() time.Time { return s.born }

// RemoteAddr is the address of the handshake's peer.
func (s *Session) RemoteAddr() string { return s.remote }

// Transport is "polling" or "websocket".
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.transport == transportWebsocket {
		return "websocket"
	}
	return "polling"
}

// Send queues m for the client. It never blocks; past the queue bounds
// the session ends as a slow consumer and Send says so.
func (s *Session) Send(m *Message) error {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.transport == transportWebsocket {
		for _, f := range m.wsFrames(s.protocol) {
			if err := s.ws.Send(f); err != nil {
				s.mu.Unlock()
				return s.sendFailed(err)
			}
		}
		s.mu.Unlock()
		return nil
	}
	o := s.srv.opts
	size := m.size()
	if s.msgs > 0 && ((o.MaxQueue > 0 && s.msgs+1 > o.MaxQueue) || (o.MaxQueueBytes > 0 && s.queued+size > o.MaxQueueBytes)) {
		s.mu.Unlock()
		go s.end(ReasonSlow)
		return wsconn.ErrSlow
	}
	s.queue = append(s.queue, m.packets()...)
	s.queued += size
	s.msgs++
	s.wake()
	s.mu.Unlock()
	return nil
}

// sendFailed ends the session after its websocket refused a frame.
func (s *Session) sendFailed(err error) error {
	if errors.Is(err, wsconn.ErrSlow) {
		// Not on the sender's goroutine: a broadcast holds the hub.
		go s.end(ReasonSlow)
	}
	return err
}

// control sends a packet of the engine's own (ping, pong, noop).
func (s *Session) control(p parser.Packet, f *wsconn.Frame) {
	s.mu.Lock()
	if s.state == stateClosed {
		s.mu.Unlock()
		return
	}
	if s.transport == transportWebsocket {
		err := s.ws.Send(f)
		s.mu.Unlock()
		if err != nil {
			_ = s.sendFailed(err)
		}
		return
	}
	s.queue = append(s.queue, p)
	s.wake()
	s.mu.Unlock()
}

// wake ends the pending poll's wait, or answers the parked poll; s.mu
// held.
func (s *Session) wake() {
	if s.waiter != nil {
		select {
		case s.waiter <- struct{}{}:
		default:
		}
	}
	if pk := s.parked; pk != nil {
		s.parked = nil
		packets, closing := s.takeAnswer()
		reason := s.reason
		s.srv.spawn(func() {
			s.srv.answer(s, pk, packets)
			if closing {
				s.end(reason)
			}
		})
	}
}

// takeAnswer empties the queue into a poll's answer: what is queued, or a
// noop (upgraded meanwhile) or a close (closed) when nothing is. closing
// says the session ends after it. s.mu held.
func (s *Session) takeAnswer() (packets []parser.Packet, closing bool) {
	packets = s.queue
	s.queue, s.queued, s.msgs = nil, 0, 0
	closing = s.state != stateOpen
	if len(packets) == 0 {
		// A close packet unless the client closed the session itself:
		// then, as Node, a noop.
		packets = []parser.Packet{{Type: parser.Noop}}
		if s.state == stateClosed && s.reason != ReasonTransportClose {
			packets[0].Type = parser.Close
		}
	}
	return packets, closing
}

// Close ends the session. Gracefully, what is queued is sent first, then
// the client is told to close (a polling client gets a close packet, a
// websocket one a close frame); otherwise it ends at once, discarding.
func (s *Session) Close(graceful bool) {
	if !graceful {
		s.end(ReasonServerClose)
		return
	}
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	if s.transport == transportWebsocket {
		s.mu.Unlock()
		s.end(ReasonServerClose)
		return
	}
	s.state, s.reason = stateClosing, ReasonServerClose
	s.queue = append(s.queue, parser.Packet{Type: parser.Close})
	s.wake()
	s.mu.Unlock()
}

// end closes the session for reason, once: the transports are closed and
// the handler told.
func (s *Session) end(reason string) {
	s.mu.Lock()
	if s.state == stateClosed {
		s.mu.Unlock()
		return
	}
	s.state, s.reason = stateClosed, reason
	ws, probe := s.ws, s.probe
	s.probe = nil
	s.wake()
	s.mu.Unlock()
	s.srv.wheel.cancel(&s.hb)
	s.srv.remove(s)
	if ws != nil {
		if reason == ReasonServerClose || reason == ReasonServerShutdown {
			ws.Close(wsconn.CloseNormal, "")
		} else {
			ws.CloseNow(nil)
		}
	}
	if probe != nil {
		probe.CloseNow(nil)
	}
	// On a goroutine of its own: end may be called from inside OnMessage,
	// which holds s.in.
	s.srv.spawn(func() {
		s.in.Lock()
		defer s.in.Unlock()
		s.handled = true
		s.srv.h.OnClose(s, reason)
	})
}

// deliver hands a message to the handler unless the session has ended
// (what follows a close packet, or a bad one, in the same POST is
// dropped, as Node does).
func (s *Session) deliver(data []byte, binary bool) {
	s.in.Lock()
	defer s.in.Unlock()
	s.mu.Lock()
	ended := s.state == stateClosed
	s.mu.Unlock()
	if !s.handled && !ended {
		s.srv.h.OnMessage(s, data, binary)
	}
}

// opened tells the handler and starts the heartbeat; on a websocket the
// open packet goes first, on polling it is the handshake's answer, alone,
// and what the handler sent waits for the next poll (as Node does).
func (s *Session) opened(r *http.Request, polling bool) {
	if !polling {
		_ = s.ws.Send(packetFrame(s.protocol, s.srv.openPacket(s, []string{})))
	}
	s.srv.h.OnOpen(s, r)
	if s.protocol == 3 {
		s.expectPing()
	} else {
		s.schedulePing()
	}
}

// schedulePing (EIO 4) sends a ping after the interval, then waits for its
// pong up to the timeout.
func (s *Session) schedulePing() {
	due := time.Now().Add(s.srv.opts.PingInterval + s.srv.opts.PingTimeout)
	s.setDeadline(time.Time{})
	s.srv.wheel.after(&s.hb, s.srv.opts.PingInterval, func() {
		s.setDeadline(due)
		s.srv.wheel.after(&s.hb, time.Until(due), func() { go s.end(ReasonPingTimeout) })
		s.control(parser.Packet{Type: parser.Ping}, framePing)
	})
}

// expectPing (EIO 3) ends the session unless the client pings within the
// interval and the timeout.
func (s *Session) expectPing() {
	s.setDeadline(time.Now().Add(s.srv.opts.PingInterval + s.srv.opts.PingTimeout))
	s.srv.wheel.after(&s.hb, s.srv.opts.PingInterval+s.srv.opts.PingTimeout, func() { go s.end(ReasonPingTimeout) })
}

func (s *Session) setDeadline(t time.Time) {
	s.mu.Lock()
	s.deadline = t
	s.mu.Unlock()
}

// expired reports whether the heartbeat deadline has passed (the wheel,
// a tick coarse, may not have ended the session yet); s.mu held.
func (s *Session) expired() bool {
	return !s.deadline.IsZero() && !time.Now().Before(s.deadline)
}

// onPacket handles one packet from the client.
func (s *Session) onPacket(p parser.Packet) {
	switch p.Type {
	case parser.Message:
		s.deliver(p.Data, p.Binary)
	case parser.Ping:
		if s.protocol == 3 {
			s.expectPing()
			s.control(parser.Packet{Type: parser.Pong, Data: p.Data}, pongFrame(p.Data))
		}
	case parser.Pong:
		if s.protocol == 4 {
			s.schedulePing()
		}
	case parser.Close:
		s.end(ReasonTransportClose)
	}
}

// pongFrame answers a ping's data.
func pongFrame(data []byte) *wsconn.Frame {
	if len(data) == 0 {
		return framePong
	}
	return packetFrame(4, parser.Packet{Type: parser.Pong, Data: data})
}

// upgradeTimer closes a probe that did not finish its upgrade in time.
func (s *Session) upgradeTimer(c *wsconn.Conn) *time.Timer {
	return time.AfterFunc(s.srv.opts.UpgradeTimeout, func() {
		s.mu.Lock()
		stale := s.probe == c
		if stale {
			s.probe, s.probing = nil, false
		}
		s.mu.Unlock()
		if stale {
			c.CloseNow(nil)
		}
	})
}
