package server

import (
	"context"
	"strconv"

	"github.com/pushio/pushio/internal/phpcast"
	"github.com/zishang520/socket.io/servers/socket/v3"
)

// maxUIDBytes is the longest uid a login may carry. A uid is kept for the
// socket's life, in this instance's memory and in Redis: without a bound,
// every connection could pin a uid as long as io.max_payload (1 MiB by
// default), a hundred times what the connection itself costs.
const maxUIDBytes = 1024

// onConnection wires one socket's events. Handlers run one at a time per
// socket, so each keeps to bounded work.
func (s *Server) onConnection(sock *socket.Socket) {
	s.namespaceJoined(sock)
	sock.On(EventLogin, func(args ...any) { s.login(sock, args) })
	sock.On("disconnect", func(...any) { s.logout(sock) })
	closeWithSession(sock)
}

// login joins the socket to its uid's room and counts it, once per socket.
// A uid that is not a string or a number is ignored: the original turned
// true into "1", null into "" and an object into "Array", or crashed.
func (s *Server) login(sock *socket.Socket, args []any) {
	if len(args) == 0 {
		s.log.Debug("login ignored: no uid", "sid", sock.Id())
		return
	}
	uid, ok := UID(args[0])
	if !ok {
		s.log.Debug("login ignored: uid is neither a string nor a number", "sid", sock.Id())
		return
	}
	if len(uid) > maxUIDBytes {
		s.log.Debug("login ignored: uid too long", "sid", sock.Id(), "bytes", len(uid), "max", maxUIDBytes)
		return
	}
	// One uid per socket: a second login is ignored, as in the original.
	if _, loaded := s.uids.Load(sock.Id()); loaded {
		return
	}
	if err := s.auth.check(uid, loginToken(sock, args)); err != nil {
		s.log.Debug("login refused", "sid", sock.Id(), "uid", uid, "reason", err.text)
		s.opts.Metrics.LoginRefused(err.label)
		_ = sock.Emit(EventLoginError, err.text)
		return
	}
	if _, loaded := s.uids.LoadOrStore(sock.Id(), uid); loaded {
		return
	}
	sock.Join(socket.Room(uid))
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CallTimeout)
	defer cancel()
	if err := s.presence.Join(ctx, uid); err != nil {
		s.log.Warn("login: recording presence failed", "uid", uid, "err", err)
	}
	if sock.Disconnected() {
		// The socket went away while Join ran; its disconnect may have
		// missed the record, so settle it here (logout is idempotent).
		s.logout(sock)
		return
	}
	c := s.lastCounts.Load()
	_ = sock.Emit(EventOnlineCount, CountsHTML(*c))
}

// logout undoes login; it counts a socket once however often it is called.
func (s *Server) logout(sock *socket.Socket) {
	v, ok := s.uids.LoadAndDelete(sock.Id())
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CallTimeout)
	defer cancel()
	if err := s.presence.Leave(ctx, v.(string)); err != nil {
		s.log.Warn("logout: removing presence failed", "uid", v, "err", err)
	}
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
