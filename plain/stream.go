package plain

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pushio/pushio/wsconn"
)

// stream serves an event stream whose connection cannot be taken from
// net/http (HTTP/2, under TLS) on its request: the poller writes it
// through streamConn as it does a TLS websocket, on a goroutine while
// output waits, and the handler's goroutine waits for its end.
func (w *Wire) stream(rw http.ResponseWriter, r *http.Request, p *ssePage, start []byte) bool {
	rc := http.NewResponseController(rw)
	rw.WriteHeader(http.StatusOK)
	if _, err := rw.Write(start); err != nil || rc.Flush() != nil {
		return false
	}
	p.done = make(chan struct{})
	p.c = wsconn.Adopt(&streamConn{rw: rw, rc: rc, req: r, closed: make(chan struct{})}, nil, w.poller)
	return true
}

// streamConn is an HTTP/2 response as the net.Conn wsconn writes: Write
// writes and flushes, Read waits for the request's end, Close ends both.
type streamConn struct {
	rw     http.ResponseWriter
	rc     *http.ResponseController
	req    *http.Request
	mu     sync.Mutex // Write and Close
	once   sync.Once
	closed chan struct{}
}

func (s *streamConn) Read([]byte) (int, error) {
	select {
	case <-s.req.Context().Done():
	case <-s.closed:
	}
	return 0, net.ErrClosed
}

func (s *streamConn) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closed:
		return 0, net.ErrClosed
	default:
	}
	n, err := s.rw.Write(b)
	if err == nil {
		err = s.rc.Flush()
	}
	return n, err
}

// Close waits for a Write under way (bounded by the write deadline):
// the handler returns after it, and the response is not written then.
func (s *streamConn) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.once.Do(func() { close(s.closed) })
	return nil
}

func (s *streamConn) LocalAddr() net.Addr                { return streamAddr(s.req.Host) }
func (s *streamConn) RemoteAddr() net.Addr               { return streamAddr(s.req.RemoteAddr) }
func (s *streamConn) SetDeadline(t time.Time) error      { return s.SetWriteDeadline(t) }
func (s *streamConn) SetReadDeadline(time.Time) error    { return nil }
func (s *streamConn) SetWriteDeadline(t time.Time) error { return s.rc.SetWriteDeadline(t) }

// streamAddr is an address as net/http gave it.
type streamAddr string

func (a streamAddr) Network() string { return "tcp" }
func (a streamAddr) String() string  { return string(a) }
