package socketio

import (
	"sync"
	"time"

	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/socketio/parser"
)

// Socket is one client's membership of one namespace.
type Socket struct {
	srv  *Server
	sess *engine.Session
	nsp  string
	id   string
	auth map[string]any

	// Value is the application's.
	Value any

	mu           sync.Mutex
	disconnected bool
}

// ID is the socket id as the client reads it: the session id for
// protocol 4 clients on "/", else the id the CONNECT answer gave.
func (s *Socket) ID() string { return s.id }

// Namespace is the namespace the socket joined.
func (s *Socket) Namespace() string { return s.nsp }

// Session is the Engine.IO session the socket runs on.
func (s *Socket) Session() *engine.Session { return s.sess }

// Auth is the CONNECT packet's auth object (protocol 5), or an empty map.
func (s *Socket) Auth() map[string]any { return s.auth }

// Connected reports whether the socket is still joined.
func (s *Socket) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.disconnected
}

// Emit sends event with args to this socket.
func (s *Socket) Emit(event string, args ...any) error {
	m, err := EncodeEvent(s.nsp, event, args...)
	if err != nil {
		return err
	}
	return s.Send(m)
}

// Send sends an encoded packet (EncodeEvent, EncodePush) to this socket.
func (s *Socket) Send(m *engine.Message) error { return s.sess.Send(m) }

// Deliver is Send for a hub: a failure is the session's to handle (a slow
// consumer ends itself).
func (s *Socket) Deliver(m *engine.Message) { _ = s.sess.Send(m) }

// Disconnect tells the client the server ended the socket and closes the
// session (socket.disconnect(true) in Node); what was queued goes first.
func (s *Socket) Disconnect() {
	if m, err := encode(parser.Disconnect, s.nsp, -1, nil); err == nil {
		_ = s.sess.Send(m)
	}
	s.sess.Close(true)
}

// Kick ends the socket from the server's side as Node's
// socket.disconnect() does: the client is told (a DISCONNECT, after what
// was queued) and the socket leaves at once (OnDisconnect runs on a
// goroutine of its own, so that Kick never waits on the handler); the
// client, which does not reconnect after it, closes its connection
// itself. A session still open after grace (a client that does not read)
// is closed then. Unlike Disconnect, the messages before the DISCONNECT
// do not share a polling payload with the close of the transport, which
// socket.io-client 3.x and 4.x handle first, losing the messages.
func (s *Socket) Kick(grace time.Duration) {
	if m, err := encode(parser.Disconnect, s.nsp, -1, nil); err == nil {
		_ = s.sess.Send(m)
	}
	if c, ok := s.sess.Value.(*conn); ok && c.take(s.nsp, s) {
		go s.srv.leave(s, "server namespace disconnect")
	}
	time.AfterFunc(grace, func() { s.sess.Close(true) })
}

// EncodeEvent encodes event and args for nsp once, to send to any number
// of sockets.
func EncodeEvent(nsp, event string, args ...any) (*engine.Message, error) {
	return encode(parser.Event, nsp, -1, append([]any{event}, args...))
}

// EncodePush is EncodeEvent for "/" and string arguments, the hot path.
func EncodePush(event string, args ...string) *engine.Message {
	return engine.NewMessage(parser.AppendEvent(nil, event, args...))
}

func encode(t parser.Type, nsp string, id int64, v any) (*engine.Message, error) {
	text, atts, err := parser.Encode(nil, t, nsp, id, v)
	if err != nil {
		return nil, err
	}
	return engine.NewMessage(text, atts...), nil
}
