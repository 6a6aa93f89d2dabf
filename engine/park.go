package engine

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pushio/pushio/engine/parser"
)

// A long poll with nothing to answer yet is parked: its connection is
// taken from net/http (hijacked), so that a waiting poll holds neither a
// goroutine nor net/http's buffers, only the connection. When something
// is to be sent the engine writes the HTTP answer itself and hands the
// connection back to the http.Server, through the listener from
// Listener, for the client's next request. Without that listener (an
// httptest server, TLS) a poll waits on its request's goroutine instead.

// parkedPoll is a hijacked polling GET waiting for its answer.
type parkedPoll struct {
	conn   net.Conn
	header http.Header // what the handlers set before the engine: CORS
	binary bool        // the payload framing asked for
	jsonp  string
	// stop ends the watch that ends the session when the client hangs up
	// meanwhile (nil: not watched).
	stop func() bool
}

// parkWriteTimeout bounds the write of a parked poll's answer.
const parkWriteTimeout = 10 * time.Second

// Listener wraps ln, the listener of the http.Server that serves the
// engine, so that connections of the polls the engine answered itself
// come back to it; from then on such polls are parked. Call it once,
// before serving; closing the listener closes what is handed back.
func (e *Server) Listener(ln net.Listener) net.Listener {
	l := &resumeListener{Listener: ln, back: make(chan net.Conn, 256), accepted: make(chan accepted),
		closed: make(chan struct{})}
	go l.acceptLoop()
	e.resume.Store(l)
	return l
}

// park hijacks the poll r when its connection can come back; nil when it
// cannot (then the poll waits on its goroutine). s.mu is held.
func (e *Server) park(w http.ResponseWriter, r *http.Request, s *Session) *parkedPoll {
	if e.resume.Load() == nil || r.Close || !r.ProtoAtLeast(1, 1) {
		return nil
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil
	}
	if n := brw.Reader.Buffered(); n > 0 {
		// The client sent more already (pipelining): it is read next.
		pending, _ := brw.Reader.Peek(n)
		conn = &prefixConn{Conn: conn, pending: bytes.Clone(pending)}
	}
	q := r.URL.Query()
	pk := &parkedPoll{conn: conn, header: w.Header().Clone(),
		binary: s.protocol == 3 && !s.b64 && !q.Has("b64") && !q.Has("j")}
	if s.protocol == 3 {
		pk.jsonp = q.Get("j")
	}
	if _, plain := conn.(*net.TCPConn); plain {
		// As a waiting poll's closed request does: the session ends.
		pk.stop, _ = e.poller.Watch(conn, func() { s.parkedGone(pk) })
	}
	return pk
}

// parkedGone ends the session whose parked poll pk the client closed (or
// sent more on, which no client does while it polls).
func (s *Session) parkedGone(pk *parkedPoll) {
	s.mu.Lock()
	if s.parked != pk {
		s.mu.Unlock()
		return // answered meanwhile
	}
	s.parked = nil
	s.mu.Unlock()
	_ = pk.conn.Close()
	s.end(ReasonTransportError)
}

// answer writes packets as the parked poll's HTTP answer, then hands the
// connection back (or closes it when the write failed).
func (e *Server) answer(s *Session, pk *parkedPoll, packets []parser.Packet) {
	if pk.stop != nil {
		pk.stop() // before net/http reads it again
	}
	body, ctype := parser.AppendPayload(nil, s.protocol, packets, pk.binary)
	if pk.jsonp != "" {
		body, ctype = parser.JSONP(nil, pk.jsonp, body), parser.ContentTypeJSONP
	}
	h := pk.header
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var b bytes.Buffer
	b.Grow(256 + len(body))
	b.WriteString("HTTP/1.1 200 OK\r\n")
	_ = h.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	_ = pk.conn.SetWriteDeadline(time.Now().Add(parkWriteTimeout))
	if _, err := pk.conn.Write(b.Bytes()); err != nil {
		_ = pk.conn.Close()
		return
	}
	_ = pk.conn.SetDeadline(time.Time{})
	if l := e.resume.Load(); l != nil {
		l.giveBack(pk.conn)
		return
	}
	_ = pk.conn.Close()
}

// prefixConn is a connection whose first bytes were read already.
type prefixConn struct {
	net.Conn
	pending []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// resumeListener accepts new connections and takes back answered ones.
type resumeListener struct {
	net.Listener
	back      chan net.Conn
	accepted  chan accepted
	closed    chan struct{}
	closeOnce sync.Once
}

type accepted struct {
	conn net.Conn
	err  error
}

func (l *resumeListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		select {
		case l.accepted <- accepted{c, err}:
		case <-l.closed:
			if c != nil {
				_ = c.Close()
			}
			return
		}
		if err != nil && errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

func (l *resumeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.back:
		return c, nil
	case a := <-l.accepted:
		return a.conn, a.err
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *resumeListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.closed) })
	for {
		select {
		case c := <-l.back:
			_ = c.Close()
		default:
			return err
		}
	}
}

// giveBack queues c for Accept; after Close it is closed.
func (l *resumeListener) giveBack(c net.Conn) {
	select {
	case <-l.closed:
		_ = c.Close()
		return
	default:
	}
	select {
	case l.back <- c:
	case <-l.closed:
		_ = c.Close()
	}
}
