package wsconn

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// pongs counts the pongs its conn got.
type pongs struct {
	echo
	n chan struct{}
}

func (p *pongs) OnPong(*Conn) { p.n <- struct{}{} }

func TestPongHandlerIsToldOfPongs(t *testing.T) {
	p, err := NewPoller(Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &pongs{n: make(chan struct{}, 4)}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, p)
		if err != nil {
			return
		}
		c.Start(h)
		_ = c.Send(PingFrame)
	}))
	t.Cleanup(func() { ts.Close(); _ = p.Close() })
	c := dial(t, "ws"+strings.TrimPrefix(ts.URL, "http"))
	// gorilla answers pings while it reads.
	go func() { _, _, _ = c.ReadMessage() }()
	select {
	case <-h.n:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler was not told of the client's pong")
	}
}

// adopted serves an adopted stream: the headers, then what Send gets.
func startAdopted(t *testing.T, opts Options) (addr string, conns chan *Conn, ends *echo) {
	t.Helper()
	p, err := NewPoller(opts)
	if err != nil {
		t.Fatal(err)
	}
	ends = &echo{}
	conns = make(chan *Conn, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_, _ = nc.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"))
		var pending []byte
		if n := brw.Reader.Buffered(); n > 0 {
			pending, _ = brw.Reader.Peek(n)
		}
		c := Adopt(nc, pending, p)
		c.Start(ends)
		conns <- c
	}))
	t.Cleanup(func() { ts.Close(); _ = p.Close() })
	return strings.TrimPrefix(ts.URL, "http://"), conns, ends
}

func TestAdoptWritesRawFramesAndClosesAfterThem(t *testing.T) {
	addr, conns, ends := startAdopted(t, Options{})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_, _ = nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	c := <-conns
	_ = c.Send(RawFrame([]byte("data: one\n\n")))
	_ = c.Send(RawFrame([]byte("data: two\n\n")))
	c.Close(CloseGoingAway, "")
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	all, err := io.ReadAll(nc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(all), "\r\n\r\ndata: one\n\ndata: two\n\n") {
		t.Errorf("the stream is %q, want the headers, both frames as they are and its end", all)
	}
	waitEnds(t, ends, nil)
}

func TestAdoptedConnEndsOnInputAndHangUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(nc net.Conn)
		want error
	}{
		{"the client sends data", func(nc net.Conn) { _, _ = nc.Write([]byte("x")) }, ErrInput},
		{"the client hangs up", func(nc net.Conn) { _ = nc.Close() }, io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, conns, ends := startAdopted(t, Options{})
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_, _ = nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
			<-conns
			_, _ = http.ReadResponse(bufio.NewReader(nc), nil)
			tc.do(nc)
			waitEnds(t, ends, tc.want)
		})
	}
}

// waitEnds waits for one OnClose with want.
func waitEnds(t *testing.T, e *echo, want error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(e.ends()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := e.ends()
	if len(got) != 1 || !errors.Is(got[0], want) && got[0] != want {
		t.Errorf("OnClose got %v, want one %v", got, want)
	}
}
