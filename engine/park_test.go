package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// parkHandler is an engine application that does nothing.
type parkHandler struct{}

func (parkHandler) OnOpen(*Session, *http.Request)   {}
func (parkHandler) OnMessage(*Session, []byte, bool) {}
func (parkHandler) OnClose(*Session, string)         {}

// pollConn is one keep-alive connection of a raw polling client.
type pollConn struct {
	t   *testing.T
	nc  net.Conn
	br  *bufio.Reader
	sid string
}

func dialPoll(t *testing.T, addr string) *pollConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &pollConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

var sidRe = regexp.MustCompile(`"sid":"([^"]+)"`)

// get sends a polling GET (the handshake while there is no sid).
func (c *pollConn) get() {
	c.t.Helper()
	q := "EIO=4&transport=polling"
	if c.sid != "" {
		q += "&sid=" + c.sid
	}
	if _, err := fmt.Fprintf(c.nc, "GET /engine.io/?%s HTTP/1.1\r\nHost: test\r\nOrigin: http://example.org\r\n\r\n", q); err != nil {
		c.t.Fatal(err)
	}
}

// answer reads the answer to the last request.
func (c *pollConn) answer() (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, string(body)
}

// serveParking serves an engine running h through its Listener, so that
// polls park; it returns the engine and the address.
func serveParking(t *testing.T, h Handler) (*Server, string) {
	t.Helper()
	e, err := New(Options{PingInterval: time.Minute, PingTimeout: time.Minute}, h)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(e.Listener(ln)) }()
	t.Cleanup(func() {
		e.Close()
		_ = srv.Close()
	})
	return e, ln.Addr().String()
}

func TestParkedPollsHoldNoGoroutineAndComeBack(t *testing.T) {
	e, addr := serveParking(t, parkHandler{})

	const n = 50
	clients := make([]*pollConn, n)
	for i := range clients {
		c := dialPoll(t, addr)
		c.get()
		_, body := c.answer()
		m := sidRe.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("handshake answered %q", body)
		}
		c.sid = m[1]
		clients[i] = c
	}
	before := runtime.NumGoroutine()
	for _, c := range clients {
		c.get() // nothing to answer: it waits, then parks
	}
	// Before, each idle keep-alive connection had net/http's goroutine;
	// a poll waiting on it adds its background read; parked, it has none.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before-n/2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before-n/2 {
		t.Fatalf("%d goroutines with %d polls waiting, %d before them: the polls did not park", g, n, before)
	}

	for i, c := range clients {
		s, ok := e.Session(c.sid)
		if !ok {
			t.Fatalf("session %d gone", i)
		}
		if err := s.Send(NewMessage([]byte(fmt.Sprintf("hello %d", i)))); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range clients {
		resp, body := c.answer()
		want := fmt.Sprintf("4hello %d", i)
		if resp.StatusCode != http.StatusOK || body != want ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
			resp.Header.Get("Access-Control-Allow-Origin") != "http://example.org" {
			t.Fatalf("parked poll %d answered %d %q, headers %v; want 200 %q with its CORS header", i, resp.StatusCode, body, resp.Header, want)
		}
	}
	// The connections came back to the http.Server: a POST on each is
	// served, and a poll again.
	for _, c := range clients {
		if _, err := fmt.Fprintf(c.nc, "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n4hello", c.sid); err != nil {
			t.Fatal(err)
		}
		if resp, body := c.answer(); resp.StatusCode != http.StatusOK || body != "ok" {
			t.Fatalf("a POST after the parked poll answered %d %q", resp.StatusCode, body)
		}
	}
	// Closing a session answers its parked poll with a close packet.
	c := clients[0]
	c.get()
	time.Sleep(100 * time.Millisecond) // let it park (the answer is the same if it has not)
	s, _ := e.Session(c.sid)
	s.Close(true)
	if resp, body := c.answer(); resp.StatusCode != http.StatusOK || body != "1" {
		t.Fatalf("closing answered the poll %d %q, want 200 \"1\"", resp.StatusCode, body)
	}
}

func TestParkedPollClosedByTheClientEndsTheSession(t *testing.T) {
	closed := make(chan string, 1)
	_, addr := serveParking(t, closeRecorder(closed))
	c := dialPoll(t, addr)
	c.get()
	_, body := c.answer()
	c.sid = sidRe.FindStringSubmatch(body)[1]
	c.get()
	time.Sleep(100 * time.Millisecond) // parked by now; a poll still waiting ends the same way
	_ = c.nc.Close()
	select {
	case reason := <-closed:
		if reason != ReasonTransportError {
			t.Errorf("the session closed with %q, want %q", reason, ReasonTransportError)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the session outlived its parked poll's connection by 5 s")
	}
}

// closeRecorder is an application that reports each session's end.
type closeRecorder chan string

func (closeRecorder) OnOpen(*Session, *http.Request)   {}
func (closeRecorder) OnMessage(*Session, []byte, bool) {}
func (r closeRecorder) OnClose(_ *Session, reason string) {
	select {
	case r <- reason:
	default:
	}
}
