package plain

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/test/testlog"
	"github.com/pushio/pushio/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout bounds every wait of these tests.
const waitTimeout = 5 * time.Second

// instance is one in-process pushio io side with both wires, on
// 127.0.0.1:0.
type instance struct {
	srv  *server.Server
	wire *Wire
	addr string // host:port
	m    *metrics.Metrics
}

func start(t *testing.T, sopts server.Options, popts Options) *instance {
	t.Helper()
	m := metrics.New("test")
	sopts.Metrics, popts.Metrics = m, m
	if sopts.Path == "" {
		sopts.Path = "/socket.io"
	}
	if sopts.Counts.Interval == 0 {
		sopts.Counts.Interval = time.Hour
	}
	if popts.WSPath == "" {
		popts.WSPath = "/ws"
	}
	if popts.SSEPath == "" {
		popts.SSEPath = "/events"
	}
	srv, err := server.New(sopts, memory.New(), testlog.Logger())
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(srv, popts, testlog.Logger())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		w.Close()
		_ = hs.Shutdown(ctx)
	})
	return &instance{srv: srv, wire: w, addr: ln.Addr().String(), m: m}
}

// push is one {"event","data"} object of a WebSocket page.
type push struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// text is the push's data as a string ("" when it is not one).
func (p push) text() string {
	var s string
	_ = json.Unmarshal(p.Data, &s)
	return s
}

// wsClient is a WebSocket page.
type wsClient struct {
	t  *testing.T
	c  *websocket.Conn
	id string // from the welcome
}

func (in *instance) dialWS(t *testing.T, header http.Header) *wsClient {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+in.addr+"/ws", header)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	wc := &wsClient{t: t, c: c}
	w := wc.next()
	var d struct{ Client string }
	if w.Event != "welcome" || json.Unmarshal(w.Data, &d) != nil || d.Client == "" {
		t.Fatalf("first frame %s %s, want welcome with a client id", w.Event, w.Data)
	}
	wc.id = d.Client
	return wc
}

func (wc *wsClient) send(frame string) {
	wc.t.Helper()
	if err := wc.c.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		wc.t.Fatal(err)
	}
}

// next reads the next frame, which must be a push object.
func (wc *wsClient) next() push {
	wc.t.Helper()
	_ = wc.c.SetReadDeadline(time.Now().Add(waitTimeout))
	kind, b, err := wc.c.ReadMessage()
	if err != nil {
		wc.t.Fatalf("reading: %v", err)
	}
	var p push
	if kind != websocket.TextMessage || json.Unmarshal(b, &p) != nil {
		wc.t.Fatalf("frame %q is not a push object", b)
	}
	return p
}

// login logs in and waits for the counts that answer it.
func (wc *wsClient) login(frame string) {
	wc.t.Helper()
	wc.send(frame)
	if p := wc.next(); p.Event != server.EventOnlineCount {
		wc.t.Fatalf("after login: %s %s, want %s", p.Event, p.Data, server.EventOnlineCount)
	}
}

// closeCode reads until the connection ends and returns its close code
// and reason.
func (wc *wsClient) closeCode() (int, string) {
	wc.t.Helper()
	_ = wc.c.SetReadDeadline(time.Now().Add(waitTimeout))
	for {
		_, _, err := wc.c.ReadMessage()
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Code, ce.Text
		}
		if err != nil {
			wc.t.Fatalf("the connection ended without a close frame: %v", err)
		}
	}
}

// sseClient is an EventSource page read raw.
type sseClient struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

// event is one server-sent event.
type event struct {
	id, name, data string
}

func (in *instance) dialSSE(t *testing.T, query string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.addr+"/events?"+query, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return &sseClient{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
}

// next reads the next event; comments come back as name ":".
func (sc *sseClient) next() event {
	sc.t.Helper()
	var e event
	var data []string
	done := make(chan error, 1)
	timer := time.AfterFunc(waitTimeout, func() { _ = sc.resp.Body.Close() })
	defer timer.Stop()
	for {
		line, err := sc.r.ReadString('\n')
		if err != nil {
			done <- err
			sc.t.Fatalf("reading the stream: %v (event so far %+v)", err, e)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if e.name != "" || data != nil {
				e.data = strings.Join(data, "\n")
				return e
			}
		case strings.HasPrefix(line, ":"):
			return event{name: ":"}
		case strings.HasPrefix(line, "retry: "):
			e.name = "retry"
			data = []string{strings.TrimPrefix(line, "retry: ")}
		default:
			k, v, _ := strings.Cut(line, ": ")
			switch k {
			case "id":
				e.id = v
			case "event":
				e.name = v
			case "data":
				data = append(data, v)
			}
		}
	}
}

// nextEvent skips comments.
func (sc *sseClient) nextEvent() event {
	sc.t.Helper()
	for {
		if e := sc.next(); e.name != ":" {
			return e
		}
	}
}

// sign is the HMAC token of uid.
func sign(secret, uid string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(uid))
	return hex.EncodeToString(m.Sum(nil))
}
