package server

import (
	"context"
	"strconv"

	"github.com/pushio/pushio/internal/phpcast"
	"github.com/pushio/pushio/socketio"
)

// maxUIDBytes is the longest uid a login may carry. A uid is kept for the
// socket's life, in this instance's memory and in Redis: without a bound,
// every connection could pin a uid as long as io.max_payload (1 MiB by
// default), a hundred times what the connection itself costs.
const maxUIDBytes = 1024

// login joins the socket to its uid's room and counts it, once per socket.
// A uid that is not a string or a number is ignored: the original turned
// true into "1", null into "" and an object into "Array", or crashed.
// Handlers run one at a time per socket, so a login waits for its
// presence record without holding up any other socket.
func (s *Server) login(sock *socketio.Socket, args []any) {
	if len(args) == 0 {
		s.log.Debug("login ignored: no uid", "sid", sock.ID())
		return
	}
	uid, ok := UID(args[0])
	if !ok {
		s.log.Debug("login ignored: uid is neither a string nor a number", "sid", sock.ID())
		return
	}
	if len(uid) > maxUIDBytes {
		s.log.Debug("login ignored: uid too long", "sid", sock.ID(), "bytes", len(uid), "max", maxUIDBytes)
		return
	}
	c := sock.Value.(*user)
	// One uid per socket: a second login is ignored, as in the original.
	if c.loggedIn() {
		return
	}
	if err := s.auth.check(uid, loginToken(sock, args)); err != nil {
		s.log.Debug("login refused", "sid", sock.ID(), "uid", uid, "reason", err.text)
		s.opts.Metrics.LoginRefused(err.label)
		_ = sock.Emit(EventLoginError, err.text)
		return
	}
	if !c.take(uid) {
		return
	}
	s.hub.Join(sock, uid)
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CallTimeout)
	defer cancel()
	if err := s.presence.Join(ctx, uid); err != nil {
		s.log.Warn("login: recording presence failed", "uid", uid, "err", err)
	}
	if !sock.Connected() {
		// The socket went away while Join ran; its disconnect may have
		// missed the record, so settle it here (logout is idempotent).
		s.logout(sock)
		return
	}
	counts := s.lastCounts.Load()
	_ = sock.Send(socketio.EncodePush(EventOnlineCount, CountsHTML(*counts)))
}

// logout undoes login; it counts a socket once however often it is called.
func (s *Server) logout(sock *socketio.Socket) {
	c, _ := sock.Value.(*user)
	if c == nil {
		return
	}
	uid, ok := c.release()
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CallTimeout)
	defer cancel()
	if err := s.presence.Leave(ctx, uid); err != nil {
		s.log.Warn("logout: removing presence failed", "uid", uid, "err", err)
	}
}

// loggedIn reports whether the socket has logged in (or out) already.
func (c *user) loggedIn() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state != notLoggedIn
}

// take records uid as the socket's, once.
func (c *user) take(uid string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != notLoggedIn {
		return false
	}
	c.uid, c.state = uid, loggedIn
	return true
}

// release gives the uid back, once; a socket logged out stays so.
func (c *user) release() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != loggedIn {
		return "", false
	}
	c.state = loggedOut
	return c.uid, true
}

// UID turns a login argument into a uid the way PHP's (string) cast does
// for strings and numbers: 123 → "123", 1.5 → "1.5", 100.0 → "100".
// Anything else (bool, null, object, array) is refused.
func UID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return phpcast.Float(x)
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	}
	return "", false
}
