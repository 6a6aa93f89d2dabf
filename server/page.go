package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/socketio"
)

// Page is one connected page as login, presence, the counts and every
// push see it, whatever its wire: a Socket.IO socket of "/", or a page of
// another wire (package plain: the browser's own WebSocket, EventSource)
// attached with Attach. Each is a hub member under its id, so a push to a
// uid, to a page's id or to everyone reaches every kind alike.
type Page interface {
	// ID is the page's id: its own room, the id a push to one page names.
	ID() string
	// Deliver queues a hub message (a Socket.IO packet, which other
	// wires re-encode once per message: engine.Message.Derived). It must
	// not block: a page that cannot keep up ends itself.
	Deliver(m *engine.Message)
	// LoginError tells the page its login was refused, with the reason.
	LoginError(reason string)
	// Close ends the page from the server's side, gracefully: what is
	// queued goes first (a kick, a drain).
	Close()
	// Info is the page's peer address and when it connected.
	Info() (addr string, opened time.Time)
}

// kickGrace is how long a kicked Socket.IO client has to close its
// connection itself (they all do once told) before the server does.
const kickGrace = 5 * time.Second

// sioPage is a Socket.IO socket as a Page. It is one pointer wide, so
// the hub compares it by the socket's identity and boxing it costs
// nothing.
type sioPage struct{ sock *socketio.Socket }

func (p sioPage) ID() string { return p.sock.ID() }
func (p sioPage) Deliver(m *engine.Message) {
	v := m
	if recOf(p) != nil {
		v = m.Variant()
	}
	if p.sock.Send(v) != nil {
		if u, ok := p.sock.Value.(*user); ok {
			u.refused(m)
		}
	}
}
func (p sioPage) LoginError(reason string) { _ = p.sock.Emit(EventLoginError, reason) }
func (p sioPage) Close()                   { p.sock.Kick(kickGrace) }
func (p sioPage) Info() (string, time.Time) {
	return p.sock.Session().RemoteAddr(), p.sock.Session().Opened()
}

// Conn is a page of another wire attached to the server: its login, its
// place in the connection limits and its count under its transport.
// Login and Detach are safe for concurrent use.
type Conn struct {
	s         *Server
	u         *user
	ticket    *ticket
	transport string
	detached  sync.Once
}

// Attach adds page, opened by the request r that Route's handler got
// (whose admission it claims), to the hub, to the pages Drain closes, and
// to the connections counted under transport. Detach undoes it.
func (s *Server) Attach(r *http.Request, page Page, transport string) *Conn {
	c := &Conn{s: s, u: &user{page: page, refusals: &s.refusals}, ticket: ticketFrom(r.Context()), transport: transport}
	if c.ticket != nil {
		c.ticket.claimed.Store(true)
	}
	s.pagesMu.Lock()
	s.pages[page] = c
	s.pagesMu.Unlock()
	s.hub.Add(page.ID(), page)
	s.opts.Metrics.PageOpened(transport)
	return c
}

// Login logs the page in as uid (a login's first argument: a string or
// a number) with token, as a Socket.IO login: refused logins get
// LoginError, a page logs in once, and it gets the counts at once.
func (c *Conn) Login(uid any, token string) { c.s.login(c.u, []any{uid}, token) }

// Detach takes the page out of the hub, logs it out and gives its place
// in the limits back, once; call it when the page's connection ended.
func (c *Conn) Detach() {
	c.detached.Do(func() {
		c.u.gone.Store(true)
		c.s.hub.Remove(c.u.page)
		c.s.logout(c.u)
		c.s.pagesMu.Lock()
		delete(c.s.pages, c.u.page)
		c.s.pagesMu.Unlock()
		if c.ticket != nil {
			c.ticket.release()
		}
		c.s.opts.Metrics.PageClosed(c.transport)
	})
}

// attached is the pages of other wires, for Drain and Close.
func (s *Server) attached() []*Conn {
	s.pagesMu.Lock()
	defer s.pagesMu.Unlock()
	out := make([]*Conn, 0, len(s.pages))
	for _, c := range s.pages {
		out = append(out, c)
	}
	return out
}

// userOf is what the server keeps of page p, or nil when p is gone.
func (s *Server) userOf(p Page) *user {
	if sp, ok := p.(sioPage); ok {
		u, _ := sp.sock.Value.(*user)
		return u
	}
	s.pagesMu.Lock()
	defer s.pagesMu.Unlock()
	if c := s.pages[p]; c != nil {
		return c.u
	}
	return nil
}

// Route serves h at path on the io port behind what guards Socket.IO's
// handshakes: the origin allow-list, CORS answers and the connection
// limits, each GET counting as a new connection. It is how other wires
// (package plain) are mounted; call it before serving.
func (s *Server) Route(path string, h http.Handler) {
	s.mux.Handle(path, s.guardWire(h))
}
