package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/pushio/pushio/wsconn"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout bounds every wait of these tests.
const waitTimeout = 5 * time.Second

// longIntervals keeps heartbeats out of the tests that are not about them.
var longIntervals = Options{PingInterval: 4 * time.Second, PingTimeout: 3 * time.Second}

type msgEvent struct {
	s      *Session
	data   string
	binary bool
}

type closeEvent struct {
	s      *Session
	reason string
	at     time.Time
}

// recorder is a Handler that records every call; it never blocks.
type recorder struct {
	onOpen func(s *Session, r *http.Request)
	opens  chan *Session
	msgs   chan msgEvent
	closes chan closeEvent

	mu     sync.Mutex
	closed map[*Session]int
	active map[*Session]bool // a handler call is under way (overlap check)
	overl  bool
}

func newRecorder() *recorder {
	return &recorder{opens: make(chan *Session, 1024), msgs: make(chan msgEvent, 4096),
		closes: make(chan closeEvent, 1024), closed: make(map[*Session]int), active: make(map[*Session]bool)}
}

func (h *recorder) enter(s *Session) {
	h.mu.Lock()
	if h.active[s] {
		h.overl = true
	}
	h.active[s] = true
	h.mu.Unlock()
}

func (h *recorder) leave(s *Session) {
	h.mu.Lock()
	h.active[s] = false
	h.mu.Unlock()
}

func (h *recorder) OnOpen(s *Session, r *http.Request) {
	if h.onOpen != nil {
		h.onOpen(s, r)
	}
	h.opens <- s
}

func (h *recorder) OnMessage(s *Session, data []byte, binary bool) {
	h.enter(s)
	defer h.leave(s)
	h.mu.Lock()
	n := h.closed[s]
	h.mu.Unlock()
	if n > 0 {
		panic("OnMessage after OnClose")
	}
	h.msgs <- msgEvent{s, string(data), binary}
}

func (h *recorder) OnClose(s *Session, reason string) {
	h.enter(s)
	defer h.leave(s)
	h.mu.Lock()
	h.closed[s]++
	h.mu.Unlock()
	h.closes <- closeEvent{s, reason, time.Now()}
}

func (h *recorder) closeCount(s *Session) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed[s]
}

// nextClose waits for the next OnClose.
func (h *recorder) nextClose(t *testing.T) closeEvent {
	t.Helper()
	select {
	case c := <-h.closes:
		return c
	case <-time.After(waitTimeout):
		t.Fatal("no OnClose within", waitTimeout)
	}
	return closeEvent{}
}

// nextMsg waits for the next OnMessage.
func (h *recorder) nextMsg(t *testing.T) msgEvent {
	t.Helper()
	select {
	case m := <-h.msgs:
		return m
	case <-time.After(waitTimeout):
		t.Fatal("no OnMessage within", waitTimeout)
	}
	return msgEvent{}
}

// noMoreMsgs fails t if OnMessage was called more than expected so far.
func (h *recorder) noMoreMsgs(t *testing.T) {
	t.Helper()
	select {
	case m := <-h.msgs:
		t.Fatalf("unexpected OnMessage %q binary=%v", m.data, m.binary)
	default:
	}
}

// testEngine is a Server behind an httptest server on 127.0.0.1:0.
type testEngine struct {
	*Server
	h      *recorder
	url    string // http://127.0.0.1:port/engine.io/
	client *http.Client
}

func startEngine(t *testing.T, opts Options) *testEngine {
	return startEngineWith(t, opts, newRecorder())
}

func startEngineWith(t *testing.T, opts Options, h *recorder) *testEngine {
	t.Helper()
	e, err := New(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", e)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(e.Close) // first: it ends the long polls ts.Close waits for
	client := ts.Client()
	client.Timeout = waitTimeout
	te := &testEngine{Server: e, h: h, url: ts.URL + "/engine.io/", client: client}
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.overl {
			t.Error("handler calls for one session overlapped")
		}
	})
	return te
}

type response struct {
	status int
	body   string
	header http.Header
	err    error
}

// request sends one HTTP request to the engine; it never fails t, so
// goroutines may use it.
func (te *testEngine) request(ctx context.Context, method, query, ctype, body string) response {
	req, err := http.NewRequestWithContext(ctx, method, te.url+"?"+query, strings.NewReader(body))
	if err != nil {
		return response{err: err}
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := te.client.Do(req)
	if err != nil {
		return response{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), header: resp.Header, err: err}
}

func (te *testEngine) mustDo(t *testing.T, method, query, ctype, body string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	r := te.request(ctx, method, query, ctype, body)
	if r.err != nil {
		t.Fatalf("%s ?%s: %v", method, query, r.err)
	}
	return r
}

// poll GETs the session's queue and wants 200.
func (te *testEngine) poll(t *testing.T, eio int, sid string) string {
	t.Helper()
	r := te.mustDo(t, http.MethodGet, sessQuery(eio, sid), "", "")
	if r.status != http.StatusOK {
		t.Fatalf("poll: %d %q", r.status, r.body)
	}
	return r.body
}

// pollAsync polls on a goroutine of its own, bounded by waitTimeout.
func (te *testEngine) pollAsync(ctx context.Context, eio int, sid string) <-chan response {
	ch := make(chan response, 1)
	go func() { ch <- te.request(ctx, http.MethodGet, sessQuery(eio, sid), "", "") }()
	return ch
}

// post POSTs body (text/plain) and wants 200 "ok".
func (te *testEngine) post(t *testing.T, eio int, sid, body string) {
	t.Helper()
	r := te.mustDo(t, http.MethodPost, sessQuery(eio, sid), "text/plain;charset=UTF-8", body)
	if r.status != http.StatusOK || r.body != "ok" {
		t.Fatalf("post %q: %d %q", body, r.status, r.body)
	}
}

func sessQuery(eio int, sid string) string {
	q := "EIO=" + strconv.Itoa(eio) + "&transport=polling&sid=" + sid
	if eio == 3 {
		q += "&b64=1"
	}
	return q
}

func awaitResponse(t *testing.T, ch <-chan response) response {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	case <-time.After(waitTimeout + time.Second):
		t.Fatal("no response within", waitTimeout)
	}
	return response{}
}

type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int64    `json:"pingInterval"`
	PingTimeout  int64    `json:"pingTimeout"`
	MaxPayload   *int64   `json:"maxPayload"`
}

// parseOpen reads an open packet ("0{...}").
func parseOpen(t *testing.T, packet string) openPacket {
	t.Helper()
	if !strings.HasPrefix(packet, "0{") {
		t.Fatalf("not an open packet: %q", packet)
	}
	var o openPacket
	if err := json.Unmarshal([]byte(packet[1:]), &o); err != nil {
		t.Fatalf("open packet %q: %v", packet, err)
	}
	return o
}

// unframe3 strips the "<length>:" of a protocol 3 text payload holding one
// ASCII packet.
func unframe3(t *testing.T, body string) string {
	t.Helper()
	n, rest, ok := strings.Cut(body, ":")
	if !ok || n != strconv.Itoa(len(rest)) {
		t.Fatalf("not a one-packet protocol 3 payload: %q", body)
	}
	return rest
}

// handshake opens a polling session (protocol 3 in b64) and returns its
// open packet and session.
func (te *testEngine) handshake(t *testing.T, eio int) (openPacket, *Session) {
	t.Helper()
	q := "EIO=" + strconv.Itoa(eio) + "&transport=polling"
	if eio == 3 {
		q += "&b64=1"
	}
	return te.handshakeQuery(t, eio, q)
}

// handshakeQuery opens a polling session with the handshake query q.
func (te *testEngine) handshakeQuery(t *testing.T, eio int, q string) (openPacket, *Session) {
	t.Helper()
	r := te.mustDo(t, http.MethodGet, q, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("handshake: %d %q", r.status, r.body)
	}
	body := r.body
	if eio == 3 {
		body = unframe3(t, body)
	}
	o := parseOpen(t, body)
	s, ok := te.Session(o.SID)
	if !ok {
		t.Fatalf("session %q not open after its handshake", o.SID)
	}
	return o, s
}

// dial opens a websocket to the engine; it is closed when the test ends.
func (te *testEngine) dial(t *testing.T, query string) *websocket.Conn {
	t.Helper()
	c, resp, err := te.tryDial(query, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial ?%s: %v (status %d)", query, err, status)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (te *testEngine) tryDial(query string, netDial func(ctx context.Context, network, addr string) (net.Conn, error)) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: waitTimeout, NetDialContext: netDial}
	return d.Dial("ws"+strings.TrimPrefix(te.url, "http")+"?"+query, nil)
}

// read reads the next message of c, bounded.
func read(t *testing.T, c *websocket.Conn) (binary bool, data string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	mt, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("websocket read: %v", err)
	}
	return mt == websocket.BinaryMessage, string(b)
}

// readText wants the next message of c to be text want.
func readText(t *testing.T, c *websocket.Conn, want string) {
	t.Helper()
	bin, got := read(t, c)
	if bin || got != want {
		t.Fatalf("websocket got %q (binary %v), want text %q", got, bin, want)
	}
}

// readEnd wants c to end, and returns the error that ended it.
func readEnd(t *testing.T, c *websocket.Conn) error {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("websocket still open after", waitTimeout)
			}
			return err
		}
		if string(b) == "2" { // a heartbeat may still come
			continue
		}
		t.Fatalf("websocket got %q, want its end", b)
	}
}

func write(t *testing.T, c *websocket.Conn, binary bool, data string) {
	t.Helper()
	mt := websocket.TextMessage
	if binary {
		mt = websocket.BinaryMessage
	}
	_ = c.SetWriteDeadline(time.Now().Add(waitTimeout))
	if err := c.WriteMessage(mt, []byte(data)); err != nil {
		t.Fatalf("websocket write: %v", err)
	}
}

// wsOpen opens a websocket session and reads its open packet.
func (te *testEngine) wsOpen(t *testing.T, eio int) (*websocket.Conn, openPacket, *Session) {
	t.Helper()
	c := te.dial(t, "EIO="+strconv.Itoa(eio)+"&transport=websocket")
	_, first := read(t, c)
	o := parseOpen(t, first)
	var s *Session
	waitFor(t, "the websocket session to be open", func() bool {
		var ok bool
		s, ok = te.Session(o.SID)
		return ok
	})
	return c, o, s
}

// waitFor polls cond until it holds, for waitTimeout at most.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitPolling waits until a GET of s is waiting for something to send.
func waitPolling(t *testing.T, s *Session) {
	t.Helper()
	waitFor(t, "a pending poll", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.waiter != nil
	})
}

// refusal is an Engine.IO error answer.
type refusal struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func wantRefusal(t *testing.T, r response, status, code int, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d (%q), want %d", r.status, r.body, status)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var got refusal
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if got != (refusal{code, message}) {
		t.Fatalf("refusal %+v, want {%d %q}", got, code, message)
	}
}

func TestHandshake(t *testing.T) {
	t.Parallel()
	opts := Options{PingInterval: 4 * time.Second, PingTimeout: 3 * time.Second, MaxPayload: 12345}
	for _, tc := range []struct {
		name      string
		query     string
		websocket bool
		protocol  int
		upgrades  []string
	}{
		{"eio4 polling", "EIO=4&transport=polling", false, 4, []string{"websocket"}},
		{"eio3 polling b64", "EIO=3&transport=polling&b64=1", false, 3, []string{"websocket"}},
		{"eio3 polling binary", "EIO=3&transport=polling", false, 3, []string{"websocket"}},
		{"eio4 websocket", "EIO=4&transport=websocket", true, 4, []string{}},
		{"eio3 websocket", "EIO=3&transport=websocket", true, 3, []string{}},
		// Node reads any EIO but "4" as 3 when EIO 3 is allowed.
		{"eio absent", "transport=polling", false, 3, []string{"websocket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newRecorder()
			var gotEIO string
			h.onOpen = func(s *Session, r *http.Request) { gotEIO = r.URL.Query().Get("EIO") }
			te := startEngineWith(t, opts, h)
			var packet string
			if tc.websocket {
				c := te.dial(t, tc.query)
				var bin bool
				bin, packet = read(t, c)
				if bin {
					t.Fatal("open packet in a binary frame")
				}
			} else {
				r := te.mustDo(t, http.MethodGet, tc.query, "", "")
				if r.status != http.StatusOK {
					t.Fatalf("status %d %q", r.status, r.body)
				}
				if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
					t.Errorf("Content-Type %q", ct)
				}
				packet = r.body
				if tc.protocol == 3 {
					packet = unframe3(t, packet)
				}
			}
			o := parseOpen(t, packet)
			if raw, err := base64.RawURLEncoding.DecodeString(o.SID); err != nil || len(raw) != 15 {
				t.Errorf("sid %q is not 15 bytes of URL-safe base64", o.SID)
			}
			if strings.Join(o.Upgrades, ",") != strings.Join(tc.upgrades, ",") || o.Upgrades == nil {
				t.Errorf("upgrades %q, want %q", o.Upgrades, tc.upgrades)
			}
			if o.PingInterval != 4000 || o.PingTimeout != 3000 {
				t.Errorf("pingInterval %d pingTimeout %d, want 4000 3000", o.PingInterval, o.PingTimeout)
			}
			switch {
			case tc.protocol == 4 && (o.MaxPayload == nil || *o.MaxPayload != 12345):
				t.Errorf("maxPayload %v, want 12345", o.MaxPayload)
			case tc.protocol == 3 && o.MaxPayload != nil:
				t.Errorf("maxPayload %d in a protocol 3 open packet", *o.MaxPayload)
			}
			var s *Session
			select {
			case s = <-h.opens:
			case <-time.After(waitTimeout):
				t.Fatal("no OnOpen")
			}
			if s.ID() != o.SID || s.Protocol() != tc.protocol {
				t.Errorf("session %q protocol %d, want %q %d", s.ID(), s.Protocol(), o.SID, tc.protocol)
			}
			wantTransport := map[bool]string{false: "polling", true: "websocket"}[tc.websocket]
			if s.Transport() != wantTransport {
				t.Errorf("Transport() = %q, want %q", s.Transport(), wantTransport)
			}
			if host, _, _ := net.SplitHostPort(s.RemoteAddr()); host != "127.0.0.1" {
				t.Errorf("RemoteAddr() = %q", s.RemoteAddr())
			}
			if time.Since(s.Opened()) > waitTimeout || s.Opened().After(time.Now()) {
				t.Errorf("Opened() = %v", s.Opened())
			}
			if want := queryOf(tc.query).Get("EIO"); gotEIO != want {
				t.Errorf("OnOpen saw EIO %q, want %q", gotEIO, want)
			}
			if got, ok := te.Session(o.SID); !ok || got != s || te.Count() != 1 || len(te.Sessions()) != 1 {
				t.Errorf("Session/Count/Sessions do not hold the one session")
			}
		})
	}
}

func queryOf(query string) interface{ Get(string) string } {
	r, _ := http.NewRequest(http.MethodGet, "/?"+query, nil)
	return r.URL.Query()
}

func TestNoEIO3(t *testing.T) {
	t.Parallel()
	te := startEngine(t, Options{NoEIO3: true, PingInterval: longIntervals.PingInterval, PingTimeout: longIntervals.PingTimeout})
	for _, eio := range []string{"3", "", "5", "x"} {
		t.Run("polling EIO="+eio, func(t *testing.T) {
			r := te.mustDo(t, http.MethodGet, "EIO="+eio+"&transport=polling", "", "")
			wantRefusal(t, r, http.StatusBadRequest, CodeUnsupportedVersion, "Unsupported protocol version")
		})
	}
	t.Run("websocket EIO=3", func(t *testing.T) {
		_, resp, err := te.tryDial("EIO=3&transport=websocket", nil)
		if err == nil || resp == nil {
			t.Fatalf("dial: %v, want a refused handshake", err)
		}
		b, _ := io.ReadAll(resp.Body)
		wantRefusal(t, response{status: resp.StatusCode, body: string(b), header: resp.Header},
			http.StatusBadRequest, CodeUnsupportedVersion, "Unsupported protocol version")
	})
	t.Run("EIO=4 still served", func(t *testing.T) {
		if o, s := te.handshake(t, 4); s.Protocol() != 4 || o.SID == "" {
			t.Fatal("EIO 4 handshake failed")
		}
	})
	if te.Count() != 1 {
		t.Fatalf("%d sessions, want only the EIO 4 one", te.Count())
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	te := startEngine(t, longIntervals)
	_, ps := te.handshake(t, 4)
	_, _, wss := te.wsOpen(t, 4)
	wsSID := wss.ID()
	for _, tc := range []struct {
		name    string
		method  string
		query   string
		ctype   string
		body    string
		code    int
		message string
	}{
		{"no transport", "GET", "EIO=4", "", "", CodeUnknownTransport, "Transport unknown"},
		{"unknown transport", "GET", "EIO=4&transport=flashsocket", "", "", CodeUnknownTransport, "Transport unknown"},
		{"unknown transport with sid", "GET", "EIO=4&transport=xhr&sid=" + ps.ID(), "", "", CodeUnknownTransport, "Transport unknown"},
		{"unknown sid", "GET", "EIO=4&transport=polling&sid=nope", "", "", CodeUnknownSID, "Session ID unknown"},
		{"unknown sid post", "POST", "EIO=4&transport=polling&sid=nope", "text/plain", "4x", CodeUnknownSID, "Session ID unknown"},
		{"unknown sid websocket", "GET", "EIO=4&transport=websocket&sid=nope", "", "", CodeUnknownSID, "Session ID unknown"},
		{"handshake by POST", "POST", "EIO=4&transport=polling", "text/plain", "4x", CodeBadHandshakeMethod, "Bad handshake method"},
		{"handshake by PUT", "PUT", "EIO=3&transport=polling", "", "", CodeBadHandshakeMethod, "Bad handshake method"},
		{"jsonp in eio4", "GET", "EIO=4&transport=polling&j=0", "", "", CodeBadRequest, "Bad request"},
		{"jsonp index not digits", "GET", "EIO=3&transport=polling&j=a", "", "", CodeBadRequest, "Bad request"},
		{"jsonp index too long", "GET", "EIO=3&transport=polling&j=1234567", "", "", CodeBadRequest, "Bad request"},
		{"websocket handshake without upgrade", "GET", "EIO=4&transport=websocket", "", "", CodeBadRequest, "Bad request"},
		{"PUT on a session", "PUT", "EIO=4&transport=polling&sid=" + ps.ID(), "", "", CodeBadRequest, "Bad request"},
		{"websocket sid without upgrade", "GET", "EIO=4&transport=websocket&sid=" + ps.ID(), "", "", CodeBadRequest, "Bad request"},
		{"poll of a websocket session", "GET", "EIO=4&transport=polling&sid=" + wsSID, "", "", CodeBadRequest, "Bad request"},
		{"post to a websocket session", "POST", "EIO=4&transport=polling&sid=" + wsSID, "text/plain", "4x", CodeBadRequest, "Bad request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := te.mustDo(t, tc.method, tc.query, tc.ctype, tc.body)
			wantRefusal(t, r, http.StatusBadRequest, tc.code, tc.message)
		})
	}
	t.Run("websocket upgrade of a websocket session", func(t *testing.T) {
		// As Node: the websocket handshake succeeds, then it is closed.
		c := te.dial(t, "EIO=4&transport=websocket&sid="+wsSID)
		_ = readEnd(t, c)
	})
	if te.Count() != 2 {
		t.Fatalf("%d sessions after the refusals, want the 2 opened", te.Count())
	}
	te.h.noMoreMsgs(t)
	if len(te.h.closes) != 0 {
		t.Fatal("a refused request closed a session")
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	te := startEngine(t, longIntervals)
	req, _ := http.NewRequest(http.MethodOptions, te.url+"?EIO=4&transport=polling", nil)
	req.Header.Set("Origin", "http://example.test")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := te.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("OPTIONS: %d, want 204", resp.StatusCode)
	}
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":      "http://example.test",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET,POST",
		"Access-Control-Allow-Headers":     "content-type",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if te.Count() != 0 {
		t.Fatal("a preflight opened a session")
	}
}

func TestPostDeliversInOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		eio   int
		ctype string
		body  string
		want  []msgEvent
	}{
		{"eio4", 4, "text/plain;charset=UTF-8", "4one\x1e4two\x1ebAQID\x1e4\x1e4three",
			[]msgEvent{{nil, "one", false}, {nil, "two", false}, {nil, "\x01\x02\x03", true}, {nil, "", false}, {nil, "three", false}}},
		{"eio4 ping and noop skipped", 4, "text/plain", "4a\x1e6\x1e4b",
			[]msgEvent{{nil, "a", false}, {nil, "b", false}}},
		{"eio3 text", 3, "text/plain;charset=UTF-8", "4:4one4:4two6:b4AQID2:4é",
			[]msgEvent{{nil, "one", false}, {nil, "two", false}, {nil, "\x01\x02\x03", true}, {nil, "é", false}}},
		{"eio3 binary", 3, "application/octet-stream", "\x00\x04\xff4one\x01\x04\xff\x04\x01\x02\x03\x00\x04\xff4two",
			[]msgEvent{{nil, "one", false}, {nil, "\x01\x02\x03", true}, {nil, "two", false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			te := startEngine(t, longIntervals)
			_, s := te.handshake(t, tc.eio)
			r := te.mustDo(t, http.MethodPost, sessQuery(tc.eio, s.ID()), tc.ctype, tc.body)
			if r.status != http.StatusOK || r.body != "ok" {
				t.Fatalf("POST: %d %q, want 200 ok", r.status, r.body)
			}
			// OnMessage runs within the POST: all are in by its answer.
			for i, want := range tc.want {
				select {
				case got := <-te.h.msgs:
					if got.s != s || got.data != want.data || got.binary != want.binary {
						t.Fatalf("message %d: %q binary=%v, want %q binary=%v", i, got.data, got.binary, want.data, want.binary)
					}
				default:
					t.Fatalf("message %d (%q) not delivered by the time the POST was answered", i, want.data)
				}
			}
			te.h.noMoreMsgs(t)
		})
	}
}

func TestPostsInSequenceKeepOrder(t *testing.T) {
	t.Parallel()
	te := startEngine(t, longIntervals)
	_, s := te.handshake(t, 4)
	const n = 50
	for i := range n {
		te.post(t, 4, s.ID(), fmt.Sprintf("4m%d\x1e4m%d.b", i, i))
	}
	for i := range n {
		for _, want := range []string{fmt.Sprintf("m%d", i), fmt.Sprintf("m%d.b", i)} {
			if got := te.h.nextMsg(t); got.data != want {
				t.Fatalf("got %q, want %q", got.data, want)
			}
		}
	}
}

func TestPostRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		eio    int
		ctype  string
		body   string
		status int
		msg    string
		reason string
	}{
		{"empty", 4, "text/plain", "", 400, "Bad request", ReasonParseError},
		{"garbage", 4, "text/plain", "hello", 400, "Bad request", ReasonParseError},
		{"binary body in eio4", 4, "application/octet-stream", "\x00\x02\xff4a", 400, "Bad request", ReasonParseError},
		{"eio3 bad length", 3, "text/plain", "9:4a", 400, "Bad request", ReasonParseError},
		{"over MaxPayload", 4, "text/plain", "4" + strings.Repeat("x", 64), 413, "Payload too large", ReasonTooLarge},
		{"eio3 over MaxPayload", 3, "text/plain", "65:4" + strings.Repeat("x", 63), 413, "Payload too large", ReasonTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			te := startEngine(t, Options{PingInterval: time.Minute, PingTimeout: time.Minute, MaxPayload: 64})
			_, s := te.handshake(t, tc.eio)
			r := te.mustDo(t, http.MethodPost, sessQuery(tc.eio, s.ID()), tc.ctype, tc.body)
			wantRefusal(t, r, tc.status, CodeBadRequest, tc.msg)
			if c := te.h.nextClose(t); c.s != s || c.reason != tc.reason {
				t.Fatalf("OnClose %q, want %q", c.reason, tc.reason)
			}
			if _, ok := te.Session(s.ID()); ok {
				t.Fatal("session still open")
			}
			te.h.noMoreMsgs(t)
		})
	}
}

func TestMaxPayload(t *testing.T) {
	t.Parallel()
	const max = 64
	opts := Options{PingInterval: time.Minute, PingTimeout: time.Minute, MaxPayload: max}
	t.Run("polling body of exactly MaxPayload", func(t *testing.T) {
		t.Parallel()
		te := startEngine(t, opts)
		_, s := te.handshake(t, 4)
		body := "4" + strings.Repeat("x", max-1)
		te.post(t, 4, s.ID(), body)
		if m := te.h.nextMsg(t); m.data != body[1:] {
			t.Fatalf("got %q", m.data)
		}
	})
	t.Run("websocket message of exactly MaxPayload", func(t *testing.T) {
		t.Parallel()
		te := startEngine(t, opts)
		c, _, _ := te.wsOpen(t, 4)
		body := "4" + strings.Repeat("y", max-1)
		write(t, c, false, body)
		if m := te.h.nextMsg(t); m.data != body[1:] {
			t.Fatalf("got %q", m.data)
		}
	})
	t.Run("websocket message over MaxPayload", func(t *testing.T) {
		t.Parallel()
		te := startEngine(t, opts)
		c, _, s := te.wsOpen(t, 4)
		write(t, c, false, "4"+strings.Repeat("y", max))
		if cl := te.h.nextClose(t); cl.s != s || cl.reason != ReasonTooLarge {
			t.Fatalf("OnClose %q, want %q", cl.reason, ReasonTooLarge)
		}
		if err := readEnd(t, c); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
			t.Fatalf("websocket ended with %v, want close 1009", err)
		}
		te.h.noMoreMsgs(t)
	})
}

func TestSendThenPoll(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		eio   int
		query string // the poll's, sid appended
		msgs  []*Message
		body  string
		ctype string
	}{
		{"eio4", 4, "EIO=4&transport=polling", []*Message{NewMessage([]byte("a")), NewMessage([]byte(`2["ev","é"]`))},
			"4a\x1e42[\"ev\",\"é\"]", "text/plain; charset=UTF-8"},
		{"eio4 attachment in base64", 4, "EIO=4&transport=polling", []*Message{NewMessage([]byte("t"), []byte{1, 2, 3})},
			"4t\x1ebAQID", "text/plain; charset=UTF-8"},
		{"eio3 b64", 3, "EIO=3&transport=polling&b64=1", []*Message{NewMessage([]byte("a")), NewMessage([]byte("é😀")), NewMessage([]byte("t"), []byte{1, 2, 3})},
			"2:4a4:4é😀2:4t6:b4AQID", "text/plain; charset=UTF-8"},
		{"eio3 binary payload", 3, "EIO=3&transport=polling", []*Message{NewMessage([]byte("t"), []byte{1, 2, 3})},
			"\x00\x02\xff4t\x01\x04\xff\x04\x01\x02\x03", "application/octet-stream"},
		{"eio3 text only without b64", 3, "EIO=3&transport=polling", []*Message{NewMessage([]byte("ab"))},
			"3:4ab", "text/plain; charset=UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			te := startEngine(t, longIntervals)
			// The framing is the handshake's: b64 there sticks.
			_, s := te.handshakeQuery(t, tc.eio, tc.query)
			for _, m := range tc.msgs {
				if err := s.Send(m); err != nil {
					t.Fatal(err)
				}
			}
			r := te.mustDo(t, http.MethodGet, tc.query+"&sid="+s.ID(), "", "")
			if r.status != 200 || r.body != tc.body {
				t.Fatalf("poll: %d %q, want %q", r.status, r.body, tc.body)
			}
			if ct := r.header.Get("Content-Type"); ct != tc.ctype {
				t.Errorf("Content-Type %q, want %q", ct, tc.ctype)
			}
			// The queue is drained: the next poll waits for more.
			_ = s.Send(NewMessage([]byte("next")))
			if got, want := te.mustDo(t, http.MethodGet, tc.query+"&sid="+s.ID(), "", "").body,
				map[int]string{3: "5:4next", 4: "4next"}[tc.eio]; got != want {
				t.Fatalf("second poll %q, want %q", got, want)
			}
		})
	}
}

func TestPollWaitsForSend(t *testing.T) {
	t.Parallel()
	te := startEngine(t, longIntervals)
	_, s := te.handshake(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ch := te.pollAsync(ctx, 4, s.ID())
	waitPolling(t, s)
	select {
	case r := <-ch:
		t.Fatalf("poll answered %q before anything was sent", r.body)
	default:
	}
	if err := s.Send(NewMessage([]byte("late"))); err != nil {
		t.Fatal(err)
	}
	if r := awaitResponse(t, ch); r.body != "4late" {
		t.Fatalf("poll %q, want 4late", r.body)
	}
}

func TestOnOpenSendsAfterOpenPacket(t *testing.T) {
	t.Parallel()
	for _, ws := range []bool{false, true} {
		t.Run(map[bool]string{false: "polling", true: "websocket"}[ws], func(t *testing.T) {
			t.Parallel()
			h := newRecorder()
			h.onOpen = func(s *Session, r *http.Request) {
				if err := s.Send(NewMessage([]byte("hello"))); err != nil {
					panic(err)
				}
			}
			te := startEngineWith(t, longIntervals, h)
			if ws {
				c, _, _ := te.wsOpen(t, 4) // the open packet first
				readText(t, c, "4hello")
				return
			}
			r := te.mustDo(t, http.MethodGet, "EIO=4&transport=polling", "", "")
			if strings.Contains(r.body, "hello") {
				t.Fatalf("handshake answer %q holds what OnOpen sent", r.body)
			}
			o := parseOpen(t, r.body)
			if got := te.poll(t, 4, o.SID); got != "4hello" {
				t.Fatalf("first poll %q, want 4hello", got)
			}
		})
	}
}

func TestPingV4Polling(t *testing.T) {
	t.Parallel()
	const interval, timeout = 80 * time.Millisecond, 150 * time.Millisecond
	te := startEngine(t, Options{PingInterval: interval, PingTimeout: timeout})
	start := time.Now()
	_, s := te.handshake(t, 4)
	if got := te.poll(t, 4, s.ID()); got != "2" {
		t.Fatalf("poll %q, want the ping 2", got)
	}
	if d := time.Since(start); d < interval {
		t.Fatalf("ping after %v, before the %v interval", d, interval)
	}
	pong := time.Now()
	te.post(t, 4, s.ID(), "3")
	if got := te.poll(t, 4, s.ID()); got != "2" {
		t.Fatalf("poll %q, want the second ping", got)
	}
	if d := time.Since(pong); d < interval {
		t.Fatalf("second ping %v after the pong, before the interval", d)
	}
	// No pong this time.
	if c := te.h.nextClose(t); c.s != s || c.reason != ReasonPingTimeout {
		t.Fatalf("OnClose %q, want %q", c.reason, ReasonPingTimeout)
	} else if d := c.at.Sub(pong); d < interval+timeout {
		t.Fatalf("closed %v after the pong, before interval+timeout", d)
	}
	wantRefusal(t, te.mustDo(t, http.MethodGet, sessQuery(4, s.ID()), "", ""),
		http.StatusBadRequest, CodeUnknownSID, "Session ID unknown")
}

func TestPingV4Websocket(t *testing.T) {
	t.Parallel()
	const interval, timeout = 80 * time.Millisecond, 150 * time.Millisecond
	te := startEngine(t, Options{PingInterval: interval, PingTimeout: timeout})
	start := time.Now()
	c, o, s := te.wsOpen(t, 4)
	if o.PingInterval != interval.Milliseconds() || o.PingTimeout != timeout.Milliseconds() {
		t.Fatalf("open packet %+v", o)
	}
	for i := range 3 {
		readText(t, c, "2")
		if d := time.Since(start); d < interval {
			t.Fatalf("ping %d %v after the last pong, before the interval", i, d)
		}
		start = time.Now()
		write(t, c, false, "3")
	}
	if cl := te.h.nextClose(t); cl.s != s || cl.reason != ReasonPingTimeout {
		t.Fatalf("OnClose %q, want %q", cl.reason, ReasonPingTimeout)
	} else if d := cl.at.Sub(start); d < interval+timeout {
		t.Fatalf("closed %v after the last pong, before interval+timeout", d)
	}
	_ = readEnd(t, c)
}

func TestPingV3AnsweredByPong(t *testing.T) {
	t.Parallel()
	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		te := startEngine(t, longIntervals)
		c, _, _ := te.wsOpen(t, 3)
		write(t, c, false, "2")
		readText(t, c, "3")
		write(t, c, false, "2probe")
		readText(t, c, "3probe")
		te.h.noMoreMsgs(t)
	})
	t.Run("polling", func(t *testing.T) {
		t.Parallel()
		te := startEngine(t, longIntervals)
		_, s := te.handshake(t, 3)
		te.post(t, 3, s.ID(), "1:2")
		if got := te.poll(t, 3, s.ID()); got != "1:3" {
			t.Fatalf("poll %q, want 1:3", got)
		}
		te.post(t, 3, s.ID(), "5:2abcd1:2")
		if got := te.poll(t, 3, s.ID()); got != "5:3abcd1:3" {
			t.Fatalf("poll %q, want 5:3abcd1:3", got)
		}
	})
}

func TestPingV3Timeout(t *testing.T) {
	t.Parallel()
	const interval, timeout = 60 * time.Millisecond, 60 * time.Millisecond
	te := startEngine(t, Options{PingInterval: interval, PingTimeout: timeout})
	start := time.Now()
	_, s := te.handshake(t, 3)
	// Pinging at half the interval keeps it open well past
	// interval+timeout.
	last := start
	for time.Since(start) < 4*(interval+timeout) {
		last = time.Now() // before the POST that re-arms the deadline
		te.post(t, 3, s.ID(), "1:2")
		if got := te.poll(t, 3, s.ID()); got != "1:3" {
			t.Fatalf("poll %q, want 1:3", got)
		}
		time.Sleep(interval / 2) // the client's pace, not an assertion
	}
	if _, ok := te.Session(s.ID()); !ok || te.h.closeCount(s) != 0 {
		t.Fatal("a pinging EIO 3 session was closed")
	}
	c := te.h.nextClose(t)
	if c.s != s || c.reason != ReasonPingTimeout {
		t.Fatalf("OnClose %q, want %q", c.reason, ReasonPingTimeout)
	}
	if d := c.at.Sub(last); d < interval+timeout {
		t.Fatalf("closed %v after the last ping, before interval+timeout", d)
	}
}

func TestUpgrade(t *testing.T) {
	t.Parallel()
	for _, eio := range []int{3, 4} {
		t.Run("eio"+strconv.Itoa(eio), func(t *testing.T) {
			t.Parallel()
			upgraded := make(chan *Session, 2)
			opts := longIntervals
			opts.OnUpgrade = func(s *Session) { upgraded <- s }
			te := startEngine(t, opts)
			_, s := te.handshake(t, eio)
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			pending := te.pollAsync(ctx, eio, s.ID())
			waitPolling(t, s)

			c := te.dial(t, "EIO="+strconv.Itoa(eio)+"&transport=websocket&sid="+s.ID())
			write(t, c, false, "2probe")
			readText(t, c, "3probe")
			noop := map[int]string{3: "1:6", 4: "6"}[eio]
			if r := awaitResponse(t, pending); r.status != 200 || r.body != noop {
				t.Fatalf("pending poll %d %q, want %q", r.status, r.body, noop)
			}
			if s.Transport() != "polling" {
				t.Fatal("upgraded before the upgrade packet")
			}
			// Sent between probe and upgrade: goes out on the websocket.
			if err := s.Send(NewMessage([]byte("queued"), []byte{7})); err != nil {
				t.Fatal(err)
			}
			write(t, c, false, "5")
			select {
			case u := <-upgraded:
				if u != s {
					t.Fatal("OnUpgrade for another session")
				}
			case <-time.After(waitTimeout):
				t.Fatal("no OnUpgrade")
			}
			if s.Transport() != "websocket" {
				t.Fatalf("Transport() = %q after the upgrade", s.Transport())
			}
			readText(t, c, "4queued")
			wantBin := map[int]string{3: "\x04\x07", 4: "\x07"}[eio]
			if bin, got := read(t, c); !bin || got != wantBin {
				t.Fatalf("attachment %q binary=%v, want %q", got, bin, wantBin)
			}
			write(t, c, false, "4from client")
			if m := te.h.nextMsg(t); m.s != s || m.data != "from client" {
				t.Fatalf("OnMessage %q", m.data)
			}
			wantRefusal(t, te.mustDo(t, http.MethodGet, sessQuery(eio, s.ID()), "", ""),
				http.StatusBadRequest, CodeBadRequest, "Bad request")
			wantRefusal(t, te.mustDo(t, http.MethodPost, sessQuery(eio, s.ID()), "text/plain", "1:2"),
				http.StatusBadRequest, CodeBadRequest, "Bad request")
			if err := s.Send(NewMessage([]byte("after"))); err != nil {
				t.Fatal(err)
			}
			// A second upgrade: its websocket is closed at once.
			_ = readEnd(t, te.dial(t, "EIO="+strconv.Itoa(eio)+"&transport=websocket&sid="+s.ID()))
			if s.Transport() != "websocket" {
				t.Fatal("a second upgrade changed the session")
			}
			readText(t, c, "4after") // the first websocket still works
			if te.h.closeCount(s) != 0 {
				t.Fatal("session closed by its upgrade")
			}
			write(t, c, false, "1")
			if cl := te.h.nextClose(t); cl.s != s || cl.reason != ReasonTransportClose {
				t.Fatalf("OnClose %q", cl.reason)
			}
			if len(upgraded) != 0 {
				t.Fatal("OnUpgrade called twice")
			}
		})
	}
}

func TestUpgradeProbeFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		first string
	}{
		{"upgrade without probe", "5"},
		{"message instead of probe", "4hello"},
		{"ping without probe data", "2"},
		{"garbage", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			te := startEngine(t, longIntervals)
			_, s := te.handshake(t, 4)
			c := te.dial(t, "EIO=4&transport=websocket&sid="+s.ID())
			write(t, c, false, tc.first)
			_ = readEnd(t, c)
			// The session stays on polling, and a new probe may come.
			waitFor(t, "the probe to be dropped", func() bool {
				s.mu.Lock()
				defer s.mu.Unlock()
				return s.probe == nil
			})
			if s.Transport() != "polling" || te.h.closeCount(s) != 0 {
				t.Fatal("a failed probe changed the session")
			}
			_ = s.Send(NewMessage([]byte("still")))
			if got := te.poll(t, 4, s.ID()); got != "4still" {
				t.Fatalf("poll %q", got)
			}
			te.h.noMoreMsgs(t)
			c2 := te.dial(t, "EIO=4&transport=websocket&sid="+s.ID())
			write(t, c2, false, "2probe")
			readText(t, c2, "3probe")
		})
	}
}

func TestUpgradeTimeout(t *testing.T) {
	t.Parallel()
	opts := longIntervals
	opts.UpgradeTimeout = 50 * time.Millisecond
	te := startEngine(t, opts)
	_, s := te.handshake(t, 4)
	start := time.Now()
	c := te.dial(t, "EIO=4&transport=websocket&sid="+s.ID())
	write(t, c, false, "2probe")
	readText(t, c, "3probe")
	_ = readEnd(t, c) // no upgrade packet: the probe is closed
	if d := time.Since(start); d < opts.UpgradeTimeout {
		t.Fatalf("probe closed after %v, before the upgrade timeout", d)
	}
	if s.Transport() != "polling" || te.h.closeCount(s) != 0 {
		t.Fatal("session changed by the probe's timeout")
	}
	if got := te.poll(t, 4, s.ID()); got != "6" {
		t.Fatalf("poll %q, want the probe's noop", got)
	}
}

func TestSessionEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		ws     bool
		eio    int
		end    func(t *testing.T, te *testEngine, s *Session, c *websocket.Conn)
		reason string
		// pollBody is what a poll pending at the end gets ("" none).
		pollBody string
		wsEnd    int // the close code the websocket gets, 0 any
	}{
		{"polling close packet", false, 4, func(t *testing.T, te *testEngine, s *Session, _ *websocket.Conn) {
			te.post(t, 4, s.ID(), "1")
		}, ReasonTransportClose, "6", 0}, // the client closed: a noop, as Node
		{"eio3 polling close packet", false, 3, func(t *testing.T, te *testEngine, s *Session, _ *websocket.Conn) {
			te.post(t, 3, s.ID(), "1:1")
		}, ReasonTransportClose, "1:6", 0},
		{"polling messages then close packet", false, 4, func(t *testing.T, te *testEngine, s *Session, _ *websocket.Conn) {
			te.post(t, 4, s.ID(), "4a\x1e1\x1e4after")
		}, ReasonTransportClose, "6", 0},
		{"polling Close(false)", false, 4, func(t *testing.T, te *testEngine, s *Session, _ *websocket.Conn) {
			s.Close(false)
		}, ReasonServerClose, "1", 0},
		{"polling Close(true)", false, 4, func(t *testing.T, te *testEngine, s *Session, _ *websocket.Conn) {
			if err := s.Send(NewMessage([]byte("last"))); err != nil {
				t.Fatal(err)
			}
			s.Close(true)
			if err := s.Send(NewMessage([]byte("too late"))); !errors.Is(err, ErrClosed) {
				t.Fatalf("Send on a closing session: %v, want ErrClosed", err)
			}
		}, ReasonServerClose, "4last\x1e1", 0},
		{"polling server shutdown", false, 4, func(t *testing.T, te *testEngine, s *Session, _ *websocket.Conn) {
			te.Close()
		}, ReasonServerShutdown, "1", 0},
		{"websocket close packet", true, 4, func(t *testing.T, te *testEngine, s *Session, c *websocket.Conn) {
			write(t, c, false, "1")
		}, ReasonTransportClose, "", 0},
		{"websocket close frame", true, 4, func(t *testing.T, te *testEngine, s *Session, c *websocket.Conn) {
			_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(waitTimeout))
		}, ReasonTransportClose, "", websocket.CloseNormalClosure},
		{"websocket parse error", true, 4, func(t *testing.T, te *testEngine, s *Session, c *websocket.Conn) {
			write(t, c, false, "9")
		}, ReasonParseError, "", 0},
		{"eio3 websocket binary of type ping", true, 3, func(t *testing.T, te *testEngine, s *Session, c *websocket.Conn) {
			write(t, c, true, "\x02x")
		}, ReasonParseError, "", 0},
		{"websocket Close(true)", true, 4, func(t *testing.T, te *testEngine, s *Session, c *websocket.Conn) {
			_ = s.Send(NewMessage([]byte("last")))
			s.Close(true)
		}, ReasonServerClose, "", websocket.CloseNormalClosure},
		{"websocket server shutdown", true, 3, func(t *testing.T, te *testEngine, s *Session, c *websocket.Conn) {
			te.Close()
		}, ReasonServerShutdown, "", 0}, // not always a close frame: see the report
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			te := startEngine(t, longIntervals)
			var s *Session
			var c *websocket.Conn
			var pending <-chan response
			if tc.ws {
				c, _, s = te.wsOpen(t, tc.eio)
			} else {
				_, s = te.handshake(t, tc.eio)
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				defer cancel()
				pending = te.pollAsync(ctx, tc.eio, s.ID())
				waitPolling(t, s)
			}
			tc.end(t, te, s, c)
			if pending != nil {
				if r := awaitResponse(t, pending); r.status != 200 || r.body != tc.pollBody {
					t.Fatalf("pending poll %d %q, want %q", r.status, r.body, tc.pollBody)
				}
			}
			if c != nil {
				if strings.Contains(tc.name, "Close(true)") {
					readText(t, c, "4last")
				}
				err := readEnd(t, c)
				if tc.wsEnd != 0 && !websocket.IsCloseError(err, tc.wsEnd) {
					t.Fatalf("websocket ended with %v, want close %d", err, tc.wsEnd)
				}
			}
			cl := te.h.nextClose(t)
			if cl.s != s || cl.reason != tc.reason {
				t.Fatalf("OnClose %q, want %q", cl.reason, tc.reason)
			}
			if _, ok := te.Session(s.ID()); ok {
				t.Fatal("session still listed")
			}
			if err := s.Send(NewMessage([]byte("x"))); !errors.Is(err, ErrClosed) {
				t.Fatalf("Send after the end: %v, want ErrClosed", err)
			}
			s.Close(true)
			s.Close(false)
			te.Close() // waits for any OnClose under way
			if n := te.h.closeCount(s); n != 1 {
				t.Fatalf("OnClose called %d times", n)
			}
			for len(te.h.msgs) > 0 {
				// "after" follows a close packet in its payload; see the
				// report: it may still be delivered.
				if m := <-te.h.msgs; m.data != "a" && m.data != "after" {
					t.Fatalf("unexpected OnMessage %q", m.data)
				}
			}
		})
	}
}

func TestPollOverlapAndAbort(t *testing.T) {
	t.Parallel()
	t.Run("overlapping polls", func(t *testing.T) {
		t.Parallel()
		te := startEngine(t, longIntervals)
		_, s := te.handshake(t, 4)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		first := te.pollAsync(ctx, 4, s.ID())
		waitPolling(t, s)
		if r := te.mustDo(t, http.MethodGet, sessQuery(4, s.ID()), "", ""); r.status != http.StatusBadRequest {
			t.Fatalf("second poll %d %q, want 400", r.status, r.body)
		}
		if r := awaitResponse(t, first); r.body != "1" {
			t.Fatalf("first poll %q, want the close packet", r.body)
		}
		if c := te.h.nextClose(t); c.reason != ReasonTransportError {
			t.Fatalf("OnClose %q, want %q", c.reason, ReasonTransportError)
		}
	})
	t.Run("poll aborted by the client", func(t *testing.T) {
		t.Parallel()
		te := startEngine(t, longIntervals)
		_, s := te.handshake(t, 4)
		ctx, cancel := context.WithCancel(context.Background())
		ch := te.pollAsync(ctx, 4, s.ID())
		waitPolling(t, s)
		cancel()
		if r := <-ch; r.err == nil {
			t.Fatal("canceled poll answered")
		}
		if c := te.h.nextClose(t); c.s != s || c.reason != ReasonTransportError {
			t.Fatalf("OnClose %q, want %q", c.reason, ReasonTransportError)
		}
	})
}

func TestQueueBound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   Options
		sizes  []int
		failAt int // index of the Send that fails, -1 none
	}{
		{"MaxQueue", Options{MaxQueue: 2}, []int{1, 1, 1}, 2},
		{"MaxQueue counts messages, not attachments", Options{MaxQueue: 2}, []int{-1, -1, 1}, 2},
		{"MaxQueueBytes", Options{MaxQueueBytes: 10}, []int{5, 5, 1}, 2},
		{"MaxQueueBytes counts attachments", Options{MaxQueueBytes: 10}, []int{-9, 1}, 1},
		{"first message over MaxQueueBytes is taken", Options{MaxQueueBytes: 10}, []int{20, 1}, 1},
		{"no bound", Options{}, []int{1000, 1000, 1000, 1000, 1000}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts
			opts.PingInterval, opts.PingTimeout = longIntervals.PingInterval, longIntervals.PingTimeout
			te := startEngine(t, opts)
			_, s := te.handshake(t, 4)
			for i, n := range tc.sizes {
				// Negative: |n| bytes as an attachment of a 1-byte text.
				m := NewMessage(bytes.Repeat([]byte("x"), max(n, 0)))
				if n < 0 {
					m = NewMessage([]byte("t"), bytes.Repeat([]byte{1}, -n))
				}
				err := s.Send(m)
				switch {
				case i == tc.failAt && !errors.Is(err, wsconn.ErrSlow):
					t.Fatalf("Send %d: %v, want ErrSlow", i, err)
				case i != tc.failAt && err != nil:
					t.Fatalf("Send %d: %v", i, err)
				}
			}
			if tc.failAt < 0 {
				if got := te.poll(t, 4, s.ID()); strings.Count(got, "\x1e") != len(tc.sizes)-1 {
					t.Fatalf("poll %d bytes, want %d messages", len(got), len(tc.sizes))
				}
				return
			}
			if c := te.h.nextClose(t); c.s != s || c.reason != ReasonSlow {
				t.Fatalf("OnClose %q, want %q", c.reason, ReasonSlow)
			}
			if err := s.Send(NewMessage([]byte("x"))); !errors.Is(err, ErrClosed) {
				t.Fatalf("Send after the end: %v, want ErrClosed", err)
			}
		})
	}
	t.Run("a poll empties the queue", func(t *testing.T) {
		t.Parallel()
		te := startEngine(t, Options{MaxQueue: 2, PingInterval: time.Minute, PingTimeout: time.Minute})
		_, s := te.handshake(t, 4)
		for round := range 3 {
			for i := range 2 {
				if err := s.Send(NewMessage([]byte(strconv.Itoa(i)))); err != nil {
					t.Fatalf("round %d Send %d: %v", round, i, err)
				}
			}
			if got := te.poll(t, 4, s.ID()); got != "40\x1e41" {
				t.Fatalf("poll %q", got)
			}
		}
	})
}

func TestQueueBoundWebsocket(t *testing.T) {
	t.Parallel()
	te := startEngine(t, Options{MaxQueueBytes: 256 << 10, PingInterval: time.Minute, PingTimeout: time.Minute})
	// A client that reads nothing, with a small receive buffer.
	netDial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4 << 10)
		}
		return c, err
	}
	c, _, err := te.tryDial("EIO=4&transport=websocket", netDial)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var s *Session
	waitFor(t, "the session", func() bool {
		ss := te.Sessions()
		if len(ss) == 1 {
			s = ss[0]
		}
		return s != nil
	})
	m := NewMessage(bytes.Repeat([]byte("x"), 32<<10))
	var sendErr error
	for i := 0; i < 4096 && sendErr == nil; i++ { // at most 128 MiB
		sendErr = s.Send(m)
	}
	if !errors.Is(sendErr, wsconn.ErrSlow) {
		t.Fatalf("Send to a client that reads nothing: %v, want ErrSlow", sendErr)
	}
	if cl := te.h.nextClose(t); cl.s != s || cl.reason != ReasonSlow {
		t.Fatalf("OnClose %q, want %q", cl.reason, ReasonSlow)
	}
}

func TestWebsocketMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		eio      int
		binFrame string // a client binary frame of bytes 1, 2
		base64   string // the same in base64 in a text frame
		outBin   string // a server attachment 9, 8 as a binary frame
	}{
		{3, "\x04\x01\x02", "b4AQI=", "\x04\x09\x08"},
		{4, "\x01\x02", "bAQI=", "\x09\x08"},
	} {
		t.Run("eio"+strconv.Itoa(tc.eio), func(t *testing.T) {
			t.Parallel()
			te := startEngine(t, longIntervals)
			c, _, s := te.wsOpen(t, tc.eio)
			write(t, c, false, "4one")
			write(t, c, true, tc.binFrame)
			write(t, c, false, tc.base64)
			write(t, c, false, "6") // noop: not a message
			write(t, c, false, "4two")
			for i, w := range []msgEvent{{s, "one", false}, {s, "\x01\x02", true}, {s, "\x01\x02", true}, {s, "two", false}} {
				if m := te.h.nextMsg(t); m != w {
					t.Fatalf("message %d: %q binary=%v, want %q binary=%v", i, m.data, m.binary, w.data, w.binary)
				}
			}
			if err := s.Send(NewMessage([]byte(`2["ev"]`), []byte{9, 8})); err != nil {
				t.Fatal(err)
			}
			readText(t, c, `42["ev"]`)
			if bin, got := read(t, c); !bin || got != tc.outBin {
				t.Fatalf("attachment %q binary=%v, want %q", got, bin, tc.outBin)
			}
			te.h.noMoreMsgs(t)
		})
	}
}

func TestServerClose(t *testing.T) {
	t.Parallel()
	te := startEngine(t, longIntervals)
	_, ps := te.handshake(t, 4)
	c, _, ws := te.wsOpen(t, 3)
	te.Close()
	if te.Count() != 0 {
		t.Fatalf("%d sessions after Close", te.Count())
	}
	got := map[*Session]string{}
	for range 2 {
		cl := te.h.nextClose(t)
		got[cl.s] = cl.reason
	}
	if got[ps] != ReasonServerShutdown || got[ws] != ReasonServerShutdown {
		t.Fatalf("OnClose reasons %v, want %q for both", got, ReasonServerShutdown)
	}
	_ = readEnd(t, c) // a close frame is not always written: see the report
	wantRefusal(t, te.mustDo(t, http.MethodGet, "EIO=4&transport=polling", "", ""),
		http.StatusBadRequest, CodeBadRequest, "Bad request")
	te.Close() // twice is fine
}

func TestOptions(t *testing.T) {
	t.Parallel()
	d := Options{}.withDefaults()
	if d.PingInterval != DefaultPingInterval || d.PingTimeout != DefaultPingTimeout ||
		d.UpgradeTimeout != DefaultUpgradeTimeout || d.MaxPayload != DefaultMaxPayload {
		t.Fatalf("defaults %+v", d)
	}
	if DefaultPingInterval != 25*time.Second || DefaultPingTimeout != 20*time.Second || DefaultMaxPayload != 1e6 {
		t.Fatal("defaults are not Node's")
	}
	set := Options{PingInterval: time.Second, PingTimeout: 2 * time.Second, UpgradeTimeout: 3 * time.Second, MaxPayload: 4}.withDefaults()
	if set.PingInterval != time.Second || set.PingTimeout != 2*time.Second || set.UpgradeTimeout != 3*time.Second || set.MaxPayload != 4 {
		t.Fatalf("set values replaced: %+v", set)
	}
	for _, tc := range []struct {
		interval, timeout, want time.Duration
	}{
		{25 * time.Second, 20 * time.Second, 100 * time.Millisecond},
		{500 * time.Millisecond, 200 * time.Millisecond, 20 * time.Millisecond},
		{10 * time.Millisecond, time.Second, 5 * time.Millisecond},
		{time.Second, 60 * time.Millisecond, 6 * time.Millisecond},
	} {
		if got := (Options{PingInterval: tc.interval, PingTimeout: tc.timeout}).resolution(); got != tc.want {
			t.Errorf("resolution(%v, %v) = %v, want %v", tc.interval, tc.timeout, got, tc.want)
		}
	}
	e, err := New(Options{}, newRecorder())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Options().PingInterval != DefaultPingInterval {
		t.Fatal("Options() does not fill in the defaults")
	}
}
