package server

import (
	"net/http"
	"sync"

	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/socketio"
)

// handler is the Server as the socketio layer calls it.
type handler Server

// session is what pushio keeps of one Engine.IO session.
type session struct {
	ticket    *ticket // nil when admitted without one (tests)
	mu        sync.Mutex
	transport string // what the connection is counted under
}

func (h *handler) OnOpen(sess *engine.Session, r *http.Request) {
	s := (*Server)(h)
	st := &session{ticket: ticketFrom(r.Context()), transport: sess.Transport()}
	if st.ticket != nil {
		st.ticket.claimed.Store(true)
	}
	sess.App = st
	s.opts.Metrics.ConnectionOpened(st.transport, sess.Protocol())
}

// upgraded moves a session's count from polling to websocket.
func (s *Server) upgraded(sess *engine.Session) {
	st, ok := sess.App.(*session)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.transport == "" {
		return
	}
	s.opts.Metrics.ConnectionClosed(st.transport, sess.Protocol())
	st.transport = "websocket"
	s.opts.Metrics.ConnectionOpened(st.transport, sess.Protocol())
}

func (h *handler) OnConnect(sock *socketio.Socket) {
	s := (*Server)(h)
	r, _ := sock.Value.(*resume)
	u := &user{page: sioPage{sock}, refusals: &s.refusals}
	sock.Value = u
	switch {
	case sock.Namespace() != "/":
	case r != nil:
		s.connectRecoverable(u, r)
	default:
		s.hub.Add(sock.ID(), u.page)
	}
	if s.opts.OnConnect != nil {
		s.opts.OnConnect(sock)
	}
}

func (h *handler) OnEvent(sock *socketio.Socket, event string, args []any, ack socketio.Ack) {
	s := (*Server)(h)
	if event == EventLogin && sock.Namespace() == "/" {
		s.login(sock.Value.(*user), args, loginToken(sock, args))
		return
	}
	if s.opts.OnEvent != nil {
		s.opts.OnEvent(sock, event, args, ack)
	}
}

func (h *handler) OnDisconnect(sock *socketio.Socket, reason string) {
	s := (*Server)(h)
	u, _ := sock.Value.(*user)
	if u == nil {
		return
	}
	u.gone.Store(true)
	s.departures.leaving(u)
	if !s.park(u, reason) {
		s.hub.Remove(u.page)
	}
	s.logout(u)
}

func (h *handler) OnClose(sess *engine.Session, reason string) {
	s := (*Server)(h)
	st, _ := sess.App.(*session)
	if st == nil {
		return
	}
	if st.ticket != nil {
		st.ticket.release()
	}
	st.mu.Lock()
	if st.transport != "" {
		s.opts.Metrics.ConnectionClosed(st.transport, sess.Protocol())
		st.transport = ""
	}
	st.mu.Unlock()
	switch reason {
	case engine.ReasonSlow:
		s.log.Warn("client disconnected: slow consumer", "sid", sess.ID(), "ip", sess.RemoteAddr())
		s.opts.Metrics.SlowClientDropped()
	case engine.ReasonTooLarge:
		s.log.Info("client disconnected: message over io.max_payload", "sid", sess.ID(), "ip", sess.RemoteAddr())
		s.opts.Metrics.PayloadTooLarge()
	}
}
