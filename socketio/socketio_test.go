package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/pushio/pushio/engine"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout bounds every wait of these tests.
const waitTimeout = 5 * time.Second

type eventCall struct {
	sock   *Socket
	name   string
	args   []any
	hasAck bool
}

type disconnectCall struct {
	sock   *Socket
	reason string
}

type closeCall struct {
	sess   *engine.Session
	reason string
	at     time.Time
}

// recorder is a Handler that records its calls; it never blocks.
type recorder struct {
	// onEvent, when set, runs in OnEvent (to answer acks).
	onEvent func(s *Socket, event string, args []any, ack Ack)

	opens       chan *engine.Session
	connects    chan *Socket
	events      chan eventCall
	disconnects chan disconnectCall
	closes      chan closeCall

	mu  sync.Mutex
	log map[*engine.Session][]string // the calls for each session, in order
}

func newRecorder() *recorder {
	return &recorder{opens: make(chan *engine.Session, 256), connects: make(chan *Socket, 256),
		events: make(chan eventCall, 1024), disconnects: make(chan disconnectCall, 256),
		closes: make(chan closeCall, 256), log: make(map[*engine.Session][]string)}
}

func (h *recorder) note(sess *engine.Session, what string) {
	h.mu.Lock()
	h.log[sess] = append(h.log[sess], what)
	h.mu.Unlock()
}

func (h *recorder) calls(sess *engine.Session) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.log[sess])
}

func (h *recorder) OnOpen(sess *engine.Session, r *http.Request) {
	h.note(sess, "open")
	h.opens <- sess
}

func (h *recorder) OnConnect(s *Socket) {
	h.note(s.Session(), "connect "+s.Namespace())
	h.connects <- s
}

func (h *recorder) OnEvent(s *Socket, event string, args []any, ack Ack) {
	h.note(s.Session(), "event "+event)
	if h.onEvent != nil {
		h.onEvent(s, event, args, ack)
	}
	h.events <- eventCall{s, event, args, ack != nil}
}

func (h *recorder) OnDisconnect(s *Socket, reason string) {
	h.note(s.Session(), "disconnect "+s.Namespace()+" "+reason)
	h.disconnects <- disconnectCall{s, reason}
}

func (h *recorder) OnClose(sess *engine.Session, reason string) {
	h.note(sess, "close "+reason)
	h.closes <- closeCall{sess, reason, time.Now()}
}

func next[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("no %s within %v", what, waitTimeout)
	}
	var zero T
	return zero
}

func none[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %+v", what, v)
	default:
	}
}

// testIO is a Server behind an httptest server on 127.0.0.1:0.
type testIO struct {
	*Server
	h      *recorder
	url    string // http://127.0.0.1:port/socket.io/
	client *http.Client
}

func startIO(t *testing.T, opts Options, h *recorder) *testIO {
	t.Helper()
	if opts.Engine.PingInterval == 0 {
		opts.Engine.PingInterval, opts.Engine.PingTimeout = 4*time.Second, 3*time.Second
	}
	s, err := New(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close) // first: it ends the long polls ts.Close waits for
	client := ts.Client()
	client.Timeout = waitTimeout
	return &testIO{Server: s, h: h, url: ts.URL + "/socket.io/", client: client}
}

func (ti *testIO) do(t *testing.T, method, query, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, ti.url+"?"+query, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := ti.client.Do(req)
	if err != nil {
		t.Fatalf("%s ?%s: %v", method, query, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// pollClient is a polling client of one session.
type pollClient struct {
	ti   *testIO
	eio  int
	sid  string
	sess *engine.Session
}

func (c *pollClient) query() string {
	q := "EIO=" + strconv.Itoa(c.eio) + "&transport=polling&sid=" + c.sid
	if c.eio == 3 {
		q += "&b64=1"
	}
	return q
}

// poll GETs what is queued (waiting for something).
func (c *pollClient) poll(t *testing.T) string {
	t.Helper()
	status, body := c.ti.do(t, http.MethodGet, c.query(), "")
	if status != http.StatusOK {
		t.Fatalf("poll: %d %q", status, body)
	}
	return body
}

// post sends an Engine.IO payload.
func (c *pollClient) post(t *testing.T, payload string) {
	t.Helper()
	status, body := c.ti.do(t, http.MethodPost, c.query(), payload)
	if status != http.StatusOK || body != "ok" {
		t.Fatalf("post %q: %d %q", payload, status, body)
	}
}

// send posts Socket.IO packets, each an Engine.IO message, framed for the
// session's protocol.
func (c *pollClient) send(t *testing.T, packets ...string) {
	t.Helper()
	c.post(t, payload(c.eio, packets...))
}

// payload frames Engine.IO packets (ASCII) for a polling body.
func payload(eio int, packets ...string) string {
	var b strings.Builder
	for i, p := range packets {
		if eio == 3 {
			fmt.Fprintf(&b, "%d:%s", len(p)+1, "4"+p)
			continue
		}
		if i > 0 {
			b.WriteByte('\x1e')
		}
		b.WriteString("4" + p)
	}
	return b.String()
}

// handshake opens a polling session; EIO 3 asks for base64.
func (ti *testIO) handshake(t *testing.T, eio int) *pollClient {
	t.Helper()
	q := "EIO=" + strconv.Itoa(eio) + "&transport=polling"
	if eio == 3 {
		q += "&b64=1"
	}
	status, body := ti.do(t, http.MethodGet, q, "")
	if status != http.StatusOK {
		t.Fatalf("handshake: %d %q", status, body)
	}
	if eio == 3 {
		_, body, _ = strings.Cut(body, ":")
	}
	var o struct {
		SID string `json:"sid"`
	}
	if !strings.HasPrefix(body, "0") || json.Unmarshal([]byte(body[1:]), &o) != nil || o.SID == "" {
		t.Fatalf("handshake answered %q", body)
	}
	sess := next(t, ti.h.opens, "OnOpen")
	if sess.ID() != o.SID {
		t.Fatalf("OnOpen for %q, want %q", sess.ID(), o.SID)
	}
	return &pollClient{ti: ti, eio: eio, sid: o.SID, sess: sess}
}

// wsClient is a websocket client of one session.
type wsClient struct {
	c    *websocket.Conn
	eio  int
	sess *engine.Session
}

func (ti *testIO) dial(t *testing.T, eio int) *wsClient {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: waitTimeout}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(ti.url, "http")+"?EIO="+strconv.Itoa(eio)+"&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	w := &wsClient{c: c, eio: eio}
	if _, open := w.read(t); !strings.HasPrefix(open, "0{") {
		t.Fatalf("first frame %q, want the open packet", open)
	}
	w.sess = next(t, ti.h.opens, "OnOpen")
	return w
}

func (w *wsClient) read(t *testing.T) (binary bool, data string) {
	t.Helper()
	_ = w.c.SetReadDeadline(time.Now().Add(waitTimeout))
	mt, b, err := w.c.ReadMessage()
	if err != nil {
		t.Fatalf("websocket read: %v", err)
	}
	return mt == websocket.BinaryMessage, string(b)
}

// readText wants the next frame to be the text Engine.IO packet want.
func (w *wsClient) readText(t *testing.T, want string) {
	t.Helper()
	if bin, got := w.read(t); bin || got != want {
		t.Fatalf("websocket got %q (binary %v), want %q", got, bin, want)
	}
}

// readEnd wants the websocket to end and returns what ended it.
func (w *wsClient) readEnd(t *testing.T) error {
	t.Helper()
	_ = w.c.SetReadDeadline(time.Now().Add(waitTimeout))
	_, b, err := w.c.ReadMessage()
	if err == nil {
		t.Fatalf("websocket got %q, want its end", b)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("websocket still open after", waitTimeout)
	}
	return err
}

func (w *wsClient) write(t *testing.T, binary bool, data string) {
	t.Helper()
	mt := websocket.TextMessage
	if binary {
		mt = websocket.BinaryMessage
	}
	_ = w.c.SetWriteDeadline(time.Now().Add(waitTimeout))
	if err := w.c.WriteMessage(mt, []byte(data)); err != nil {
		t.Fatal(err)
	}
}

// transport is what a table test runs on: polling or a websocket.
type transport interface {
	session() *engine.Session
	// send sends Socket.IO packets as Engine.IO messages.
	send(t *testing.T, packets ...string)
	// recv reads the next Socket.IO packets the server sent: the text of
	// one or more messages, binary ones as "<bin:...>" with their bytes
	// quoted.
	recv(t *testing.T) []string
}

func (c *pollClient) session() *engine.Session { return c.sess }

func (c *pollClient) recv(t *testing.T) []string {
	t.Helper()
	body := c.poll(t)
	var out []string
	if c.eio == 3 {
		for body != "" {
			n, rest, ok := strings.Cut(body, ":")
			size, err := strconv.Atoi(n)
			if !ok || err != nil || size > len(rest) {
				t.Fatalf("bad EIO 3 payload %q", body)
			}
			out = append(out, rest[:size])
			body = rest[size:]
		}
	} else {
		out = strings.Split(body, "\x1e")
	}
	for i, p := range out {
		switch {
		case strings.HasPrefix(p, "4"):
			out[i] = p[1:]
		case strings.HasPrefix(p, "b"):
			out[i] = "<bin:" + strings.TrimPrefix(p[1:], "4") + ">" // base64 as is
		default:
			out[i] = "<engine:" + p + ">"
		}
	}
	return out
}

func (w *wsClient) session() *engine.Session { return w.sess }

func (w *wsClient) send(t *testing.T, packets ...string) {
	t.Helper()
	for _, p := range packets {
		w.write(t, false, "4"+p)
	}
}

func (w *wsClient) recv(t *testing.T) []string {
	t.Helper()
	for {
		bin, data := w.read(t)
		switch {
		case bin:
			if w.eio == 3 {
				data = data[1:]
			}
			return []string{fmt.Sprintf("<bin:%q>", data)}
		case data == "2":
			continue // a heartbeat
		case strings.HasPrefix(data, "4"):
			return []string{data[1:]}
		default:
			return []string{"<engine:" + data + ">"}
		}
	}
}

// recvN reads until n packets came.
func recvN(t *testing.T, tr transport, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		got = append(got, tr.recv(t)...)
	}
	return got
}

// open opens a session of protocol eio over polling or a websocket.
func (ti *testIO) open(t *testing.T, eio int, ws bool) transport {
	t.Helper()
	if ws {
		return ti.dial(t, eio)
	}
	return ti.handshake(t, eio)
}

var transports = []struct {
	name string
	ws   bool
}{{"polling", false}, {"websocket", true}}

// connectAnswer reads `0<nsp>{"sid":"..."}` and returns the sid.
func connectAnswer(t *testing.T, packet, nsp string) string {
	t.Helper()
	prefix := "0"
	if nsp != "/" {
		prefix += nsp + ","
	}
	var o map[string]any
	if !strings.HasPrefix(packet, prefix+"{") || json.Unmarshal([]byte(packet[len(prefix):]), &o) != nil {
		t.Fatalf("CONNECT answered %q, want %s{\"sid\":...}", packet, prefix)
	}
	sid, _ := o["sid"].(string)
	if len(o) != 1 || len(sid) != 20 {
		t.Fatalf("CONNECT answer %q: want only a 20-character sid", packet)
	}
	return sid
}

func TestConnectEIO4(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		for _, tc := range []struct {
			name    string
			connect string
			nsp     string
			auth    map[string]any
		}{
			{"root", "0", "/", map[string]any{}},
			{"root with auth", `0{"token":"abc","n":1,"deep":{"x":[true]}}`, "/",
				map[string]any{"token": "abc", "n": 1.0, "deep": map[string]any{"x": []any{true}}}},
			{"namespace", "0/admin,", "/admin", map[string]any{}},
			{"namespace with auth", `0/admin,{"token":"x"}`, "/admin", map[string]any{"token": "x"}},
		} {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ti := startIO(t, Options{Namespaces: []string{"/admin"}}, newRecorder())
				c := ti.open(t, 4, tr.ws)
				none(t, ti.h.connects, "OnConnect before CONNECT")
				c.send(t, tc.connect)
				sock := next(t, ti.h.connects, "OnConnect")
				sid := connectAnswer(t, recvN(t, c, 1)[0], tc.nsp)
				if sock.ID() != sid || sid == c.session().ID() {
					t.Fatalf("socket id %q, answer's %q, session's %q: want the answer's, not the session's", sock.ID(), sid, c.session().ID())
				}
				if sock.Namespace() != tc.nsp || sock.Session() != c.session() || !sock.Connected() {
					t.Fatalf("socket %q on %q, connected %v", sock.ID(), sock.Namespace(), sock.Connected())
				}
				if !reflect.DeepEqual(sock.Auth(), tc.auth) {
					t.Fatalf("Auth() = %#v, want %#v", sock.Auth(), tc.auth)
				}
				socks := ti.Sockets()
				if tc.nsp == "/" && (len(socks) != 1 || socks[0] != sock) || tc.nsp != "/" && len(socks) != 0 {
					t.Fatalf("Sockets() = %v: want the socket on / only", socks)
				}
				// A second CONNECT to the same namespace is ignored.
				c.send(t, tc.connect)
				c.send(t, `2["after"]`)
				if tc.nsp == "/" {
					if e := next(t, ti.h.events, "OnEvent"); e.name != "after" {
						t.Fatalf("event %q", e.name)
					}
				}
				none(t, ti.h.connects, "second OnConnect")
				if ti.Engine().Count() != 1 {
					t.Fatal("Engine() does not hold the session")
				}
			})
		}
	}
}

func TestConnectRefused(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		for _, tc := range []struct {
			name    string
			eio     int
			connect string
			want    string
		}{
			{"eio4 unknown namespace", 4, "0/nope,", `4/nope,{"message":"Invalid namespace"}`},
			{"eio4 unknown namespace with auth", 4, `0/nope,{"a":1}`, `4/nope,{"message":"Invalid namespace"}`},
			{"eio3 unknown namespace", 3, "0/nope", `4/nope,"Invalid namespace"`},
		} {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ti := startIO(t, Options{Namespaces: []string{"/admin"}}, newRecorder())
				c := ti.open(t, tc.eio, tr.ws)
				if tc.eio == 3 {
					next(t, ti.h.connects, "the implicit OnConnect")
					if got := recvN(t, c, 1)[0]; got != "0" {
						t.Fatalf("got %q, want the implicit CONNECT 0", got)
					}
				}
				c.send(t, tc.connect)
				if got := recvN(t, c, 1)[0]; got != tc.want {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
				none(t, ti.h.connects, "OnConnect of a refused namespace")
				if _, ok := ti.Engine().Session(c.session().ID()); !ok {
					t.Fatal("a refused namespace closed the session")
				}
				// The session may still join a namespace that exists.
				c.send(t, "0/admin,")
				if s := next(t, ti.h.connects, "OnConnect"); s.Namespace() != "/admin" {
					t.Fatalf("joined %q", s.Namespace())
				}
			})
		}
	}
}

func TestEvent(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			ti := startIO(t, Options{Namespaces: []string{"/admin"}}, newRecorder())
			c := ti.open(t, 4, tr.ws)
			// Before any CONNECT, events are ignored, as Node does.
			c.send(t, `2["early"]`, "0")
			sock := next(t, ti.h.connects, "OnConnect")
			recvN(t, c, 1)
			c.send(t, `2/admin,["not joined"]`, `2["hello",1,"two",{"a":true,"b":null},[1.5,"\u00e9"],null]`)
			e := next(t, ti.h.events, "OnEvent")
			if e.sock != sock || e.name != "hello" || e.hasAck {
				t.Fatalf("OnEvent %q on %v, ack %v", e.name, e.sock.Namespace(), e.hasAck)
			}
			want := []any{1.0, "two", map[string]any{"a": true, "b": nil}, []any{1.5, "é"}, nil}
			if !reflect.DeepEqual(e.args, want) {
				t.Fatalf("args %#v, want %#v", e.args, want)
			}
			c.send(t, `2["no args"]`)
			if e := next(t, ti.h.events, "OnEvent"); e.name != "no args" || len(e.args) != 0 {
				t.Fatalf("OnEvent %q %v", e.name, e.args)
			}
			c.send(t, "0/admin,")
			admin := next(t, ti.h.connects, "OnConnect /admin")
			recvN(t, c, 1)
			c.send(t, `2/admin,["joined",2]`)
			if e := next(t, ti.h.events, "OnEvent"); e.sock != admin || e.name != "joined" || !reflect.DeepEqual(e.args, []any{2.0}) {
				t.Fatalf("OnEvent %q on %q %v", e.name, e.sock.Namespace(), e.args)
			}
			none(t, ti.h.events, "OnEvent")
		})
	}
}

func TestAck(t *testing.T) {
	t.Parallel()
	h := newRecorder()
	h.onEvent = func(s *Socket, event string, args []any, ack Ack) {
		switch event {
		case "echo":
			ack(args...)
			ack("a second answer is dropped")
		case "empty":
			ack()
		case "bytes":
			ack("here", []byte{1, 2})
		}
	}
	for _, tr := range transports {
		for _, tc := range []struct {
			name string
			send string
			want []string
		}{
			{"echo", `21["echo","x",2]`, []string{`31["x",2]`}},
			{"large id", `29007199254740993["echo"]`, []string{`39007199254740993[]`}},
			{"no args", `27["empty"]`, []string{`37[]`}},
			{"namespace", `2/admin,5["echo",{"k":"v"}]`, []string{`3/admin,5[{"k":"v"}]`}},
			{"binary", `23["bytes"]`, nil},
		} {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ti := startIO(t, Options{Namespaces: []string{"/admin"}}, h.fork())
				c := ti.open(t, 4, tr.ws)
				c.send(t, "0", "0/admin,")
				recvN(t, c, 2)
				c.send(t, tc.send)
				if e := next(t, ti.h.events, "OnEvent"); !e.hasAck {
					t.Fatal("OnEvent got no ack for a packet with an id")
				}
				want := tc.want
				if tc.name == "binary" {
					want = []string{`61-3["here",{"_placeholder":true,"num":0}]`, `<bin:"\x01\x02">`}
					if !tr.ws {
						want[1] = "<bin:AQI=>"
					}
				}
				if got := recvN(t, c, len(want)); !slices.Equal(got, want) {
					t.Fatalf("got %q, want %q", got, want)
				}
				// The second ack() sent nothing: the next packet is this.
				if err := ti.Sockets()[0].Emit("marker"); err != nil {
					t.Fatal(err)
				}
				if got := recvN(t, c, 1); got[0] != `2["marker"]` {
					t.Fatalf("got %q after the ack, want the marker", got)
				}
			})
		}
	}
}

// fork is a recorder with h's hooks and channels of its own.
func (h *recorder) fork() *recorder {
	r := newRecorder()
	r.onEvent = h.onEvent
	return r
}

func TestEIO3(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			ti := startIO(t, Options{Namespaces: []string{"/admin"}}, newRecorder())
			c := ti.open(t, 3, tr.ws)
			// Joined to "/" at once, without a CONNECT.
			sock := next(t, ti.h.connects, "the implicit OnConnect")
			if sock.ID() != c.session().ID() || sock.Namespace() != "/" || len(sock.Auth()) != 0 || sock.Auth() == nil {
				t.Fatalf("socket %q on %q auth %v, want the session id %q on / with empty auth", sock.ID(), sock.Namespace(), sock.Auth(), c.session().ID())
			}
			if got := recvN(t, c, 1); got[0] != "0" {
				t.Fatalf("first packet %q, want 0", got)
			}
			c.send(t, `2["hi","\u00e9"]`)
			if e := next(t, ti.h.events, "OnEvent"); e.sock != sock || e.name != "hi" || !reflect.DeepEqual(e.args, []any{"é"}) {
				t.Fatalf("OnEvent %q %v", e.name, e.args)
			}
			c.send(t, "0/admin")
			admin := next(t, ti.h.connects, "OnConnect /admin")
			if admin.ID() != "/admin#"+c.session().ID() {
				t.Fatalf("socket id %q, want /admin#<sid>", admin.ID())
			}
			if got := recvN(t, c, 1); got[0] != "0/admin," {
				t.Fatalf("got %q, want 0/admin,", got)
			}
			if err := sock.Emit("news", "é", []byte{7}); err != nil {
				t.Fatal(err)
			}
			want := []string{`51-["news","\u00e9",{"_placeholder":true,"num":0}]`, `<bin:"\a">`}
			if !tr.ws {
				want[1] = "<bin:Bw==>"
			}
			if got := recvN(t, c, 2); !slices.Equal(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

func TestConnectTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 100 * time.Millisecond
	ti := startIO(t, Options{ConnectTimeout: timeout, Namespaces: []string{"/admin"}}, newRecorder())
	// One that joins a namespace other than "/" in time, another that
	// joins none: only the latter is closed.
	joined := ti.handshake(t, 4)
	joined.send(t, "0/admin,")
	next(t, ti.h.connects, "OnConnect")
	// EIO 3 sessions are joined at once: no timeout for them.
	eio3 := ti.handshake(t, 3)
	next(t, ti.h.connects, "OnConnect")
	start := time.Now()
	idle := ti.handshake(t, 4)
	c := next(t, ti.h.closes, "OnClose of the idle session")
	if c.sess != idle.sess || c.reason != engine.ReasonServerClose {
		t.Fatalf("OnClose %q for %q, want %q for the idle session", c.reason, c.sess.ID(), engine.ReasonServerClose)
	}
	if d := c.at.Sub(start); d < timeout {
		t.Fatalf("closed %v after its handshake, before the %v connect timeout", d, timeout)
	}
	if _, ok := ti.Engine().Session(joined.sid); !ok {
		t.Fatal("the session that joined /admin was closed too")
	}
	status, _ := ti.do(t, http.MethodGet, idle.query(), "")
	if status != http.StatusBadRequest {
		t.Fatalf("poll of the closed session: %d, want 400", status)
	}
	none(t, ti.h.disconnects, "OnDisconnect of a session with no socket")
	none(t, ti.h.connects, "OnConnect")
	// Both opened before the idle one, whose timeout came: had theirs
	// run, they would be closed by now.
	if _, ok := ti.Engine().Session(eio3.sid); !ok {
		t.Fatal("an EIO 3 session was closed")
	}
	if _, ok := ti.Engine().Session(joined.sid); !ok {
		t.Fatal("the session that joined /admin was closed")
	}
}

func TestEmit(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			ti := startIO(t, Options{Namespaces: []string{"/admin"}}, newRecorder())
			c := ti.open(t, 4, tr.ws)
			c.send(t, "0", "0/admin,")
			root := next(t, ti.h.connects, "OnConnect")
			admin := next(t, ti.h.connects, "OnConnect")
			recvN(t, c, 2)
			bin := `<bin:"\x01\x02">`
			if !tr.ws {
				bin = "<bin:AQI=>"
			}
			for _, tc := range []struct {
				name string
				send func() error
				want []string
			}{
				{"Emit", func() error { return root.Emit("news", "a", 1, map[string]any{"k": "v"}, nil) },
					[]string{`2["news","a",1,{"k":"v"},null]`}},
				{"Emit non-ASCII", func() error { return root.Emit("m", "é😀") }, []string{`2["m","\u00e9\ud83d\ude00"]`}},
				{"Emit on a namespace", func() error { return admin.Emit("n") }, []string{`2/admin,["n"]`}},
				{"Emit bytes", func() error { return root.Emit("file", []byte{1, 2}) },
					[]string{`51-["file",{"_placeholder":true,"num":0}]`, bin}},
				{"EncodePush", func() error { return root.Send(EncodePush("ev", "x", "<b>")) }, []string{`2["ev","x","\u003cb\u003e"]`}},
				{"Emit the same bytes as EncodePush", func() error { return root.Emit("ev", "x", "<b>") }, []string{`2["ev","x","\u003cb\u003e"]`}},
				{"EncodeEvent", func() error {
					m, err := EncodeEvent("/admin", "e", 1)
					if err != nil {
						return err
					}
					admin.Deliver(m)
					return nil
				}, []string{`2/admin,["e",1]`}},
			} {
				if err := tc.send(); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if got := recvN(t, c, len(tc.want)); !slices.Equal(got, tc.want) {
					t.Fatalf("%s: got %q, want %q", tc.name, got, tc.want)
				}
			}
			if err := root.Emit("bad", func() {}); err == nil {
				t.Fatal("Emit of a func did not fail")
			}
			if _, err := EncodeEvent("no-slash", "e"); err == nil {
				t.Fatal("EncodeEvent for a namespace without '/' did not fail")
			}
		})
	}
}

func TestServerDisconnect(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		for _, nsp := range []string{"/", "/admin"} {
			t.Run(tr.name+nsp, func(t *testing.T) {
				t.Parallel()
				ti := startIO(t, Options{Namespaces: []string{"/admin"}}, newRecorder())
				c := ti.open(t, 4, tr.ws)
				c.send(t, "0", "0/admin,")
				var sock *Socket
				for range 2 {
					if s := next(t, ti.h.connects, "OnConnect"); s.Namespace() == nsp {
						sock = s
					}
				}
				recvN(t, c, 2)
				if err := sock.Emit("bye"); err != nil {
					t.Fatal(err)
				}
				sock.Disconnect()
				prefix := ""
				if nsp != "/" {
					prefix = nsp + ","
				}
				// What was queued goes first, then the DISCONNECT.
				want := []string{prefix[:0] + `2` + prefix + `["bye"]`, "1" + prefix}
				if tr.ws {
					if got := recvN(t, c, 2); !slices.Equal(got, want) {
						t.Fatalf("got %q, want %q", got, want)
					}
					if err := c.(*wsClient).readEnd(t); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
						t.Fatalf("websocket ended with %v, want close 1000", err)
					}
				} else {
					want = append(want, "<engine:1>") // then the close packet
					if got := c.recv(t); !slices.Equal(got, want) {
						t.Fatalf("got %q, want %q", got, want)
					}
				}
				cl := next(t, ti.h.closes, "OnClose")
				if cl.sess != c.session() || cl.reason != engine.ReasonServerClose {
					t.Fatalf("OnClose %q", cl.reason)
				}
				if sock.Connected() {
					t.Fatal("Connected() after Disconnect and the session's end")
				}
				// Both sockets left, each once, before OnClose.
				calls := ti.h.calls(c.session())
				tail := calls[len(calls)-3:]
				slices.Sort(tail[:2])
				wantTail := []string{"disconnect / forced close", "disconnect /admin forced close", "close forced close"}
				if !slices.Equal(tail, wantTail) {
					t.Fatalf("last calls %q, want %q", calls, wantTail)
				}
				if err := sock.Emit("late"); !errors.Is(err, engine.ErrClosed) {
					t.Fatalf("Emit after the end: %v, want engine.ErrClosed", err)
				}
			})
		}
	}
}

func TestClientDisconnect(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			ti := startIO(t, Options{}, newRecorder())
			c := ti.open(t, 4, tr.ws)
			c.send(t, "0")
			first := next(t, ti.h.connects, "OnConnect")
			recvN(t, c, 1)
			c.send(t, "1")
			d := next(t, ti.h.disconnects, "OnDisconnect")
			if d.sock != first || d.reason != "client namespace disconnect" || first.Connected() {
				t.Fatalf("OnDisconnect %q, connected %v", d.reason, first.Connected())
			}
			if len(ti.Sockets()) != 0 {
				t.Fatal("Sockets() still holds the socket")
			}
			// The session stays; events on "/" are ignored until a new
			// CONNECT, which makes a new socket.
			c.send(t, `2["ignored"]`, "0", `2["counted"]`)
			second := next(t, ti.h.connects, "OnConnect again")
			if e := next(t, ti.h.events, "OnEvent"); e.name != "counted" || e.sock != second {
				t.Fatalf("OnEvent %q", e.name)
			}
			if second == first || second.ID() == first.ID() {
				t.Fatal("a reconnect reused the socket")
			}
			if _, ok := ti.Engine().Session(c.session().ID()); !ok {
				t.Fatal("a namespace DISCONNECT closed the session")
			}
			ti.Close()
			if d := next(t, ti.h.disconnects, "OnDisconnect at the end"); d.sock != second || d.reason != engine.ReasonServerShutdown {
				t.Fatalf("OnDisconnect %q for the first socket again?", d.reason)
			}
			next(t, ti.h.closes, "OnClose")
			none(t, ti.h.disconnects, "a second OnDisconnect")
		})
	}
}

func TestBinaryAttachments(t *testing.T) {
	t.Parallel()
	const ph = `{"_placeholder":true,"num":%d}`
	type frame struct {
		binary bool
		data   string
	}
	for _, tr := range transports {
		for _, tc := range []struct {
			name   string
			frames []frame
			args   []any // the event's args; nil: the session is closed
		}{
			{"one attachment", []frame{{false, `51-["up",` + fmt.Sprintf(ph, 0) + `]`}, {true, "\x01\x02\x03"}},
				[]any{[]byte{1, 2, 3}}},
			{"two, nested, out of order", []frame{
				{false, `52-["up",{"a":[` + fmt.Sprintf(ph, 1) + `]},` + fmt.Sprintf(ph, 0) + `]`},
				{true, "first"}, {true, "second"}},
				[]any{map[string]any{"a": []any{[]byte("second")}}, []byte("first")}},
			{"empty attachment", []frame{{false, `51-["up",` + fmt.Sprintf(ph, 0) + `]`}, {true, ""}}, []any{[]byte{}}},
			{"no attachments announced", []frame{{false, `50-["up",1]`}}, []any{1.0}},
			{"binary nobody announced", []frame{{true, "\x01"}}, nil},
			{"text while attachments are awaited", []frame{{false, `51-["up",` + fmt.Sprintf(ph, 0) + `]`}, {false, `2["x"]`}}, nil},
			{"placeholder num out of range", []frame{{false, `51-["up",` + fmt.Sprintf(ph, 1) + `]`}, {true, "x"}}, nil},
			{"placeholder num not an integer", []frame{{false, `51-["up",{"_placeholder":true,"num":0.5}]`}, {true, "x"}}, nil},
			{"more than 10 attachments", []frame{{false, `511-["up"]`}}, nil},
			{"attachments over MaxPayload together", []frame{{false, `52-["up",` + fmt.Sprintf(ph, 0) + `,` + fmt.Sprintf(ph, 1) + `]`},
				{true, strings.Repeat("a", 60)}, {true, strings.Repeat("b", 60)}}, nil},
		} {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ti := startIO(t, Options{Engine: engine.Options{MaxPayload: 100}}, newRecorder())
				c := ti.open(t, 4, tr.ws)
				c.send(t, "0")
				next(t, ti.h.connects, "OnConnect")
				recvN(t, c, 1)
				switch c := c.(type) {
				case *wsClient:
					for _, f := range tc.frames {
						if f.binary {
							c.write(t, true, f.data)
						} else {
							c.write(t, false, "4"+f.data)
						}
					}
				case *pollClient:
					// One POST each: the attachments' total is over
					// MaxPayload, not a POST.
					for _, f := range tc.frames {
						if f.binary {
							c.post(t, "b"+b64(f.data))
						} else {
							c.post(t, "4"+f.data)
						}
					}
				}
				if tc.args == nil {
					cl := next(t, ti.h.closes, "OnClose")
					if cl.reason != engine.ReasonServerClose {
						t.Fatalf("OnClose %q, want %q", cl.reason, engine.ReasonServerClose)
					}
					none(t, ti.h.events, "OnEvent")
					return
				}
				e := next(t, ti.h.events, "OnEvent")
				if e.name != "up" || !reflect.DeepEqual(e.args, tc.args) {
					t.Fatalf("OnEvent %q %#v, want up %#v", e.name, e.args, tc.args)
				}
				// The attachments were copied: they outlive the frames
				// and the buffers they were read into.
				c.send(t, `2["next","`+strings.Repeat("z", 40)+`"]`)
				if e := next(t, ti.h.events, "OnEvent"); e.name != "next" {
					t.Fatalf("OnEvent %q", e.name)
				}
				if !reflect.DeepEqual(e.args, tc.args) {
					t.Fatalf("args changed to %#v after the next message", e.args)
				}
			})
		}
	}
}

func b64(s string) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var b strings.Builder
	for i := 0; i < len(s); i += 3 {
		var n uint32
		k := min(3, len(s)-i)
		for j := range 3 {
			n <<= 8
			if j < k {
				n |= uint32(s[i+j])
			}
		}
		for j := range 4 {
			if j <= k {
				b.WriteByte(enc[n>>(18-6*j)&63])
			} else {
				b.WriteByte('=')
			}
		}
	}
	return b.String()
}

func TestBadPackets(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		for _, tc := range []struct {
			name   string
			packet string
		}{
			{"garbage", "x"},
			{"unknown type", "7"},
			{"event without args", "2[]"},
			{"event named by a number", "2[1]"},
			{"event data not an array", `2{"a":1}`},
			{"connect with array auth", "0[1]"},
			{"connect error from the client", `4{"message":"x"}`},
			{"invalid JSON", `2["a",]`},
		} {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ti := startIO(t, Options{}, newRecorder())
				c := ti.open(t, 4, tr.ws)
				c.send(t, "0")
				next(t, ti.h.connects, "OnConnect")
				recvN(t, c, 1)
				c.send(t, tc.packet)
				cl := next(t, ti.h.closes, "OnClose")
				if cl.reason != engine.ReasonServerClose {
					t.Fatalf("OnClose %q", cl.reason)
				}
				if d := next(t, ti.h.disconnects, "OnDisconnect"); d.reason != engine.ReasonServerClose {
					t.Fatalf("OnDisconnect %q", d.reason)
				}
				none(t, ti.h.events, "OnEvent")
			})
		}
	}
	t.Run("acks from the client are ignored", func(t *testing.T) {
		t.Parallel()
		ti := startIO(t, Options{}, newRecorder())
		c := ti.handshake(t, 4)
		c.send(t, "0", `31["x"]`, `2["after"]`)
		next(t, ti.h.connects, "OnConnect")
		if e := next(t, ti.h.events, "OnEvent"); e.name != "after" {
			t.Fatalf("OnEvent %q", e.name)
		}
		none(t, ti.h.closes, "OnClose")
	})
}
