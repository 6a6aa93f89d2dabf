package engine

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushio/pushio/engine/parser"
	"github.com/pushio/pushio/wsconn"
)

// Server is one Engine.IO endpoint: mount it on the Socket.IO path.
type Server struct {
	opts   Options
	h      Handler
	poller *wsconn.Poller
	wheel  *wheel
	// resume takes back the connections of parked polls (park.go).
	resume atomic.Pointer[resumeListener]

	mu       sync.RWMutex
	sessions map[string]*Session
	closed   bool
	// pending counts the OnClose calls under way; idle signals its zero.
	pending int
	idle    *sync.Cond
}

// New starts the websocket poller and the heartbeat wheel; Close stops
// them.
func New(opts Options, h Handler) (*Server, error) {
	opts = opts.withDefaults()
	p, err := wsconn.NewPoller(wsconn.Options{
		MaxMessage:    opts.MaxPayload,
		MaxQueue:      opts.MaxQueue,
		MaxQueueBytes: opts.MaxQueueBytes,
		Writers:       opts.Writers,
	})
	if err != nil {
		return nil, fmt.Errorf("engine: starting the websocket poller: %w", err)
	}
	e := &Server{opts: opts, h: h, poller: p, wheel: newWheel(opts.resolution()),
		sessions: make(map[string]*Session)}
	e.idle = sync.NewCond(&e.mu)
	return e, nil
}

// spawn runs f on a goroutine of its own that Close waits for.
func (e *Server) spawn(f func()) {
	e.mu.Lock()
	e.pending++
	e.mu.Unlock()
	go func() {
		defer func() {
			e.mu.Lock()
			if e.pending--; e.pending == 0 {
				e.idle.Broadcast()
			}
			e.mu.Unlock()
		}()
		f()
	}()
}

// Options returns the options in force, defaults filled in.
func (e *Server) Options() Options { return e.opts }

// Count is the number of open sessions.
func (e *Server) Count() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.sessions)
}

// Sessions returns the open sessions.
func (e *Server) Sessions() []*Session {
	e.mu.RLock()
	defer e.mu.RUnlock()
	all := make([]*Session, 0, len(e.sessions))
	for _, s := range e.sessions {
		all = append(all, s)
	}
	return all
}

// Session returns the open session id.
func (e *Server) Session(id string) (*Session, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s, ok := e.sessions[id]
	return s, ok
}

// Close ends every session (ReasonServerShutdown) and stops the poller and
// the wheel. New requests get "Bad request" after it.
func (e *Server) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	open := make([]*Session, 0, len(e.sessions))
	for _, s := range e.sessions {
		open = append(open, s)
	}
	e.mu.Unlock()
	for _, s := range open {
		s.end(ReasonServerShutdown)
	}
	e.mu.Lock()
	for e.pending > 0 {
		e.idle.Wait()
	}
	e.mu.Unlock()
	// The websockets' close frames (and what was queued before) go out
	// first, for a bounded time.
	e.poller.Settle(time.Second)
	_ = e.poller.Close()
	e.wheel.close()
}

// ServeHTTP serves Engine.IO requests: handshakes, polls, posts and
// websockets.
func (e *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	CORS(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	q := r.URL.Query()
	transport := q.Get("transport")
	if transport != "polling" && transport != "websocket" {
		Refuse(w, http.StatusBadRequest, CodeUnknownTransport, "Transport unknown")
		return
	}
	if q.Has("j") && !jsonpIndex(q.Get("j"), q.Get("EIO")) {
		Refuse(w, http.StatusBadRequest, CodeBadRequest, "Bad request")
		return
	}
	sid := q.Get("sid")
	if sid == "" {
		e.handshake(w, r, transport)
		return
	}
	s, ok := e.Session(sid)
	if !ok {
		Refuse(w, http.StatusBadRequest, CodeUnknownSID, "Session ID unknown")
		return
	}
	switch {
	case transport == "websocket" && wsconn.IsHandshake(r):
		e.upgrade(w, r, s)
	case transport == "polling" && r.Method == http.MethodGet:
		s.poll(w, r)
	case transport == "polling" && r.Method == http.MethodPost:
		s.post(w, r)
	default:
		Refuse(w, http.StatusBadRequest, CodeBadRequest, "Bad request")
	}
}

// handshake opens a session on transport.
func (e *Server) handshake(w http.ResponseWriter, r *http.Request, transport string) {
	if r.Method != http.MethodGet {
		Refuse(w, http.StatusBadRequest, CodeBadHandshakeMethod, "Bad handshake method")
		return
	}
	protocol := 3
	if r.URL.Query().Get("EIO") == "4" {
		protocol = 4
	} else if e.opts.NoEIO3 {
		Refuse(w, http.StatusBadRequest, CodeUnsupportedVersion, "Unsupported protocol version")
		return
	}
	if transport == "websocket" {
		if !wsconn.IsHandshake(r) {
			Refuse(w, http.StatusBadRequest, CodeBadRequest, "Bad request")
			return
		}
		e.openWebsocket(w, r, protocol)
		return
	}
	s := e.newSession(r, protocol, transportPolling)
	s.b64 = r.URL.Query().Has("b64")
	s.opened(r, true)
	if !e.add(s) {
		s.end(ReasonServerShutdown)
		Refuse(w, http.StatusBadRequest, CodeBadRequest, "Bad request")
		return
	}
	s.respond(w, r, []parser.Packet{e.openPacket(s, []string{"websocket"})})
}

// newSession makes a session for the handshake r.
func (e *Server) newSession(r *http.Request, protocol int, transport int) *Session {
	return &Session{srv: e, id: newID(), protocol: protocol, transport: transport,
		remote: r.RemoteAddr, born: time.Now()}
}

func (e *Server) add(s *Session) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.sessions[s.id] = s
	return true
}

func (e *Server) remove(s *Session) {
	e.mu.Lock()
	delete(e.sessions, s.id)
	e.mu.Unlock()
}

// openPacket is the handshake's answer.
func (e *Server) openPacket(s *Session, upgrades []string) parser.Packet {
	o := struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int64    `json:"pingInterval"`
		PingTimeout  int64    `json:"pingTimeout"`
		MaxPayload   int64    `json:"maxPayload,omitempty"`
	}{s.id, upgrades, e.opts.PingInterval.Milliseconds(), e.opts.PingTimeout.Milliseconds(), 0}
	if s.protocol == 4 {
		o.MaxPayload = e.opts.MaxPayload
	}
	b, _ := json.Marshal(o)
	return parser.Packet{Type: parser.Open, Data: b}
}

// newID is a session id as Node's base64id: 15 random bytes, URL-safe.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Engine.IO's error codes, as its Node server sends them.
const (
	CodeUnknownTransport   = 0
	CodeUnknownSID         = 1
	CodeBadHandshakeMethod = 2
	CodeBadRequest         = 3
	CodeForbidden          = 4
	CodeUnsupportedVersion = 5
)

// Refuse answers a request as the Engine.IO server answers one it refuses:
// status and {"code":code,"message":"…"}.
func Refuse(w http.ResponseWriter, status, code int, message string) {
	body := `{"code":` + strconv.Itoa(code) + `,"message":` + strconv.Quote(message) + `}`
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// CORS answers a browser's cross-origin request with its own Origin and
// credentials, as Socket.IO's server with cors {origin: true, credentials:
// true}; which origins may connect at all is decided before (the io
// guard).
func CORS(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET,POST")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
	}
}

// jsonpIndex reports whether j is a JSONP callback index an Engine.IO 3
// client sends (digits); Engine.IO 4 has no JSONP.
func jsonpIndex(j, eio string) bool {
	if eio == "4" || j == "" || len(j) > 6 {
		return false
	}
	for _, c := range j {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
