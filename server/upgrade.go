package server

import (
	"bufio"
	"net"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// The engine keeps a websocket session's upgrade request and response
// writer for as long as the connection lives, so that they cost memory per
// connection. leanUpgrade hands it lighter ones.

// upgradeHeaders are the request headers anything reads once a websocket
// upgrade has reached the engine: the websocket handshake (gorilla), the
// origin check (the library's CORS, Socket.IO's handshake.xdomain). Every
// other header (cookies, user agent, languages) is left out, so a socket's
// Handshake().Headers holds only these.
var upgradeHeaders = []string{
	"Origin", "Upgrade", "Connection",
	"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol",
}

// proxyHeaders are kept as well when trusted proxies are configured: they
// name the client behind the proxy.
var proxyHeaders = []string{"X-Forwarded-For", "X-Real-Ip", "Forwarded"}

// leanUpgrade returns what the engine should be given for r: r and w
// themselves unless r is a websocket upgrade; then a shallow copy of r with
// only the headers in use, and w wrapped so that net/http's writer, and
// with it the connection's 4 KB read and write buffers and its response
// buffer, are let go once the connection is hijacked.
func (s *Server) leanUpgrade(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		return w, r
	}
	h := make(http.Header, len(upgradeHeaders))
	keep := func(names []string) {
		for _, k := range names {
			if v := r.Header[k]; v != nil {
				h[k] = v
			}
		}
	}
	keep(upgradeHeaders)
	if len(s.opts.Limits.TrustedProxies) > 0 {
		keep(proxyHeaders)
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.Header = h
	return &upgradeWriter{w: w}, r2
}

// upgradeWriter delegates to net/http's ResponseWriter until it is
// hijacked, then drops it: afterwards Header is a private map and Write
// and WriteHeader do nothing, returning http.ErrHijacked as net/http would.
type upgradeWriter struct {
	mu     sync.Mutex
	w      http.ResponseWriter // nil once hijacked
	header http.Header         // after the hijack
}

func (u *upgradeWriter) writer() http.ResponseWriter {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.w
}

func (u *upgradeWriter) Header() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.w != nil {
		return u.w.Header()
	}
	if u.header == nil {
		u.header = make(http.Header)
	}
	return u.header
}

func (u *upgradeWriter) Write(b []byte) (int, error) {
	if w := u.writer(); w != nil {
		return w.Write(b)
	}
	return 0, http.ErrHijacked
}

func (u *upgradeWriter) WriteHeader(code int) {
	if w := u.writer(); w != nil {
		w.WriteHeader(code)
	}
}

// Hijack hands over the connection and forgets net/http's writer.
func (u *upgradeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.w == nil {
		return nil, nil, http.ErrHijacked
	}
	conn, rw, err := http.NewResponseController(u.w).Hijack()
	if err == nil {
		u.w = nil
	}
	return conn, rw, err
}
