package wsconn

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echo sends every message back and records how conns ended.
type echo struct {
	mu     sync.Mutex
	closed []error
}

func (e *echo) OnMessage(c *Conn, binary bool, data []byte) { _ = c.Send(NewFrame(binary, data)) }
func (e *echo) OnClose(c *Conn, err error) {
	e.mu.Lock()
	e.closed = append(e.closed, err)
	e.mu.Unlock()
}

func (e *echo) ends() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.closed...)
}

func startEcho(t *testing.T, opts Options) (string, *echo) {
	t.Helper()
	p, err := NewPoller(opts)
	if err != nil {
		t.Fatal(err)
	}
	h := &echo{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, p)
		if err != nil {
			return
		}
		c.Start(h)
	}))
	t.Cleanup(func() {
		ts.Close()
		_ = p.Close()
	})
	return "ws" + strings.TrimPrefix(ts.URL, "http"), h
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	return c
}

func TestEcho(t *testing.T) {
	url, _ := startEcho(t, Options{})
	c := dial(t, url)
	for _, tc := range []struct {
		kind int
		data []byte
	}{
		{websocket.TextMessage, []byte("hello")},
		{websocket.BinaryMessage, []byte{0, 1, 2, 255}},
		{websocket.TextMessage, bytes.Repeat([]byte("é"), 40_000)}, // 16- and 64-bit lengths
		{websocket.TextMessage, []byte{}},
	} {
		if err := c.WriteMessage(tc.kind, tc.data); err != nil {
			t.Fatal(err)
		}
		kind, got, err := c.ReadMessage()
		if err != nil || kind != tc.kind || !bytes.Equal(got, tc.data) {
			t.Fatalf("echo of %d bytes: kind %d, %d bytes, %v", len(tc.data), kind, len(got), err)
		}
	}
	// Fragments, with a ping between them.
	w, err := c.NextWriter(websocket.TextMessage)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("frag"))
	_ = w.Close()
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "frag" {
		t.Fatalf("fragmented echo: %q %v", got, err)
	}
}

func TestProtocolErrorsClose(t *testing.T) {
	url, h := startEcho(t, Options{MaxMessage: 1000})
	for _, tc := range []struct {
		name string
		kind int
		data []byte
		code int
	}{
		{"invalid UTF-8", websocket.TextMessage, []byte{0xff, 0xfe}, CloseInvalidData},
		{"too large", websocket.BinaryMessage, make([]byte, 1001), CloseTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, url)
			if err := c.WriteMessage(tc.kind, tc.data); err != nil {
				t.Fatal(err)
			}
			_, _, err := c.ReadMessage()
			if !websocket.IsCloseError(err, tc.code) {
				t.Errorf("got %v, want close %d", err, tc.code)
			}
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(h.ends()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(h.ends()); n != 2 {
		t.Errorf("%d OnClose calls, want 2", n)
	}
}

func TestUnmaskedFrameIsAProtocolError(t *testing.T) {
	url, _ := startEcho(t, Options{})
	nc, err := net.Dial("tcp", strings.TrimPrefix(url, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	// The request and an unmasked frame in one write: the bytes behind the
	// request must reach the parser.
	if _, err := nc.Write(append([]byte(req), 0x81, 0x02, 'h', 'i')); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 512)
	for !bytes.Contains(got, []byte("\x88\x10\x03\xeaprotocol error")) { // close 1002 and its reason
		n, err := nc.Read(buf)
		if err != nil {
			t.Fatalf("no close 1002 after an unmasked frame; got %q (%v)", got, err)
		}
		got = append(got, buf[:n]...)
	}
}

func TestIdleConnsHoldNoGoroutine(t *testing.T) {
	url, _ := startEcho(t, Options{})
	before := runtime.NumGoroutine()
	const n = 200
	for range n {
		c := dial(t, url)
		if err := c.WriteMessage(websocket.TextMessage, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	// Each gorilla client holds none while idle either; allow the test
	// server's own per-connection bookkeeping to settle.
	if after := runtime.NumGoroutine(); after-before > n/10 {
		t.Errorf("%d goroutines for %d idle conns", after-before, n)
	}
}

func FuzzFrames(f *testing.F) {
	f.Add([]byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2})
	f.Add([]byte{0x01, 0x81, 0, 0, 0, 0, 'a', 0x80, 0x81, 0, 0, 0, 0, 'b'})
	f.Add([]byte{0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0x10, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &Poller{opts: Options{MaxMessage: 1 << 16}}
		c := &Conn{p: p, h: discard{}, nc: nopConn{}}
		_ = c.feed(b, nil)
		if len(c.in) > len(b) || int64(len(c.frag)) > p.opts.MaxMessage {
			t.Fatalf("kept %d+%d bytes of %d", len(c.in), len(c.frag), len(b))
		}
	})
}

type discard struct{}

func (discard) OnMessage(*Conn, bool, []byte) {}
func (discard) OnClose(*Conn, error)          {}

// nopConn is a net.Conn that takes writes and reads nothing, for the
// parser alone.
type nopConn struct{ net.Conn }

func (nopConn) Close() error                     { return nil }
func (nopConn) Write(b []byte) (int, error)      { return len(b), nil }
func (nopConn) SetWriteDeadline(time.Time) error { return nil }
func (nopConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }

// TestTLSFallbackQueueEmptiesAsWritten: a TLS conn (the fallback path)
// that reads each message is never refused for queue bounds that one
// message nearly fills.
func TestTLSFallbackQueueEmptiesAsWritten(t *testing.T) {
	p, err := NewPoller(Options{MaxQueue: 2, MaxQueueBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan *Conn, 1)
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, p)
		if err != nil {
			return
		}
		c.Start(&echo{})
		conns <- c
	}))
	t.Cleanup(func() {
		ts.Close()
		_ = p.Close()
	})
	d := websocket.Dialer{TLSClientConfig: ts.Client().Transport.(*http.Transport).TLSClientConfig}
	ws, _, err := d.Dial("wss"+strings.TrimPrefix(ts.URL, "https"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	c := <-conns
	big := NewFrame(false, bytes.Repeat([]byte("y"), 3000))
	for i := range 50 {
		if err := c.Send(big); err != nil {
			t.Fatalf("message %d: Send: %v", i, err)
		}
		if _, got, err := ws.ReadMessage(); err != nil || len(got) != 3000 {
			t.Fatalf("message %d: %d bytes, %v", i, len(got), err)
		}
	}
}
