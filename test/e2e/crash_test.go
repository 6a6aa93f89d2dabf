package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/harness"
)

// TestCrashInputs sends the inputs that crashed the original (SPEC.md) and
// malformed Engine.IO and Socket.IO traffic: each gets a clear refusal,
// and two watchers connected beforehand (Engine.IO 4 over websocket,
// Engine.IO 3 over polling) are never dropped and still get pushes.
func TestCrashInputs(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	const watcher = "watcher"
	w := startClients(t, p.IOURL(),
		clientSpec{Version: "sio4", Transports: []string{"websocket"}, UID: watcher},
		clientSpec{Version: "sio2", Transports: []string{"polling"}, UID: watcher})
	w.waitLine("all_ready", 15*time.Second)

	var delivered []any // what the watchers must have received, in order
	t.Run("api", func(t *testing.T) { delivered = append(delivered, crashAPI(t, p)...) })
	t.Run("login", func(t *testing.T) { delivered = append(delivered, crashLogin(t, p)...) })
	t.Run("raw", func(t *testing.T) { crashRaw(t, p) })
	t.Run("polling", func(t *testing.T) { crashPolling(t, p) })
	t.Run("websocket", func(t *testing.T) { crashWebsocket(t, p) })
	delivered = append(delivered, "after the crash inputs", "to everyone after the crash inputs")

	select {
	case <-p.Exited():
		t.Fatal("pushio exited")
	default:
	}
	if got := e2etest.Publish(t, p, watcher, "after the crash inputs"); got != "ok" {
		t.Fatalf("push to the watchers: %q, want ok", got)
	}
	if got := e2etest.Publish(t, p, "", "to everyone after the crash inputs"); got != "ok" {
		t.Fatalf("broadcast: %q, want ok", got)
	}
	for c := range 2 {
		w.waitMsgs(c, len(delivered), 10*time.Second)
		if got := w.data(c, "new_msg"); !slices.Equal(got, delivered) {
			t.Errorf("watcher %d got %q, want %q", c, got, delivered)
		}
		if n, d := w.count(c, "connect"), w.count(c, "disconnect"); n != 1 || d != 0 {
			t.Errorf("watcher %d: %d connects and %d disconnects, want 1 and 0", c, n, d)
		}
	}
}

// crashAPI sends the publish API's crash inputs and returns the contents
// the watchers must get from them.
func crashAPI(t *testing.T, p *harness.Pushio) []any {
	const form, jsonBody = "application/x-www-form-urlencoded", "application/json"
	cases := []struct {
		name, method, query, ctype, body string
		status                           int
		answer                           string
		delivers                         string // to the watchers, if any
	}{
		{"content array", "GET", "type=publish&content[]=x", "", "", 200, "fail", ""},
		{"content array to a uid", "GET", "type=publish&to=watcher&content[]=x", "", "", 200, "fail", ""},
		{"content array in a form", "POST", "", form, "type=publish&to=watcher&content[]=x", 200, "fail", ""},
		{"content object in JSON", "POST", "", jsonBody, `{"type":"publish","to":["watcher"],"content":{"a":1}}`, 200, "fail", ""},
		{"type array", "GET", "type[]=publish&to=watcher&content=x", "", "", 200, "fail", ""},
		{"to array, offline", "GET", "type=publish&to[]=x&content=c", "", "", 200, "offline", ""},
		{"to array without content", "GET", "type=publish&to[]=x", "", "", 200, "offline", ""},
		{"to array without type", "GET", "to[]=watcher&content=x", "", "", 200, "fail", ""},
		{"to array of nothing", "GET", "type=publish&to[]=&content=x", "", "", 200, "fail", ""},
		{"to array", "GET", "type=publish&to[]=watcher&to[]=x&content=api-1", "", "", 200, "ok", "api-1"},
		{"to indexed", "GET", "type=publish&to[0]=x&to[1]=watcher&content=api-2", "", "", 200, "ok", "api-2"},
		{"to nested brackets", "GET", "type=publish&to[a][b]=watcher&content=api-3", "", "", 200, "ok", "api-3"},
		{"to array in a form", "POST", "", form, "type=publish&to[]=watcher&content=api-4", 200, "ok", "api-4"},
		{"to array in JSON", "POST", "", jsonBody, `{"type":"publish","to":["x","watcher"],"content":"api-5"}`, 200, "ok", "api-5"},
		{"to nested in JSON", "POST", "", jsonBody, `{"type":"publish","to":[["watcher"]],"content":"x"}`, 400, "fail", ""},
		{"truncated JSON", "POST", "", jsonBody, `{"type":"publish","to":`, 400, "fail", ""},
		{"multipart without boundary", "POST", "", "multipart/form-data", "type=publish", 400, "fail", ""},
	}
	var delivered []any
	for _, c := range cases {
		status, body := e2etest.Call(t, c.method, p.APIURL()+"/?"+c.query, c.ctype, c.body)
		if status != c.status || body != c.answer {
			t.Errorf("%s: %s /?%s %q: %d %q, want %d %q", c.name, c.method, c.query, c.body, status, body, c.status, c.answer)
		}
		if c.delivers != "" {
			delivered = append(delivered, c.delivers)
		}
	}
	return delivered
}

// crashLogin emits login with nothing, null, booleans, an object and an
// array from real clients of each version. Each bad login is followed by
// a good one: that one counting proves the bad ones were ignored, since a
// socket's second login is. It returns the broadcast the watchers get.
func crashLogin(t *testing.T, p *harness.Pushio) []any {
	bad := [][]any{{}, {nil}, {true}, {false}, {map[string]any{"a": 1}}, {[]any{"x"}}}
	var specs []clientSpec
	for _, v := range versions {
		for _, mode := range transportModes[:2] {
			uid := "good-" + v + "-" + mode.name
			specs = append(specs, clientSpec{Version: v, Transports: mode.transports, UID: uid,
				Logins: append(slices.Clone(bad), []any{uid})})
		}
	}
	onlyBad := clientSpec{Version: "sio4", Transports: []string{"websocket"}, Logins: [][]any{{}, {nil}}}
	n := startClients(t, p.IOURL(), append(specs, onlyBad)...)
	n.waitLine("all_ready", 15*time.Second)
	// A client is "ready" on its first update_online_count, which may be
	// a broadcast caused by another client's login before its own good
	// login was handled: wait, bounded, for each good login to count.
	for _, s := range specs {
		e2etest.WaitOnline(t, p, s.UID, "online", 5*time.Second)
	}
	for _, uid := range []string{"1", "Array", "null"} {
		if got := e2etest.Online(t, p, uid); got != "offline" {
			t.Errorf("type=online&uid=%s: %q, want offline (bad logins are ignored)", uid, got)
		}
	}
	// The watcher (two pages) and the good uids; the bad-only client is
	// not counted.
	want := fmt.Sprintf(`{"uids":%d,"pages":%d}`, 1+len(specs), 2+len(specs))
	if got := e2etest.APIGet(t, p, "type=count"); got != want {
		t.Errorf("type=count: %s, want %s", got, want)
	}
	const broadcast = "to the bad logins"
	if got := e2etest.Publish(t, p, "", broadcast); got != "ok" {
		t.Fatalf("broadcast: %q", got)
	}
	for c := range len(specs) + 1 {
		n.waitMsgs(c, 1, 5*time.Second)
		if d := n.count(c, "disconnect"); d != 0 {
			t.Errorf("client %d was disconnected", c)
		}
	}
	return []any{broadcast}
}

// crashRaw sends bytes that are not HTTP, or broken HTTP, to the io port:
// each gets a 400 and the connection is closed.
func crashRaw(t *testing.T, p *harness.Pushio) {
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	cases := []struct{ name, data string }{
		{"garbage line", "GARBAGE\r\n\r\n"},
		{"binary", string(binary) + "\r\n\r\n"},
		{"TLS hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"},
		{"bad header", "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"},
		{"negative length", "POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"},
	}
	for _, c := range cases {
		answer, err := rawExchange(p.IOAddr, c.data)
		if err != nil {
			t.Errorf("%s: %v (answer %q)", c.name, err, firstLine(answer))
			continue
		}
		if line := firstLine(answer); !strings.HasPrefix(line, "HTTP/1.1 400 ") {
			t.Errorf("%s: answered %q, want HTTP/1.1 400", c.name, line)
		}
	}

	// Broken Engine.IO handshakes: refused with the library's JSON errors.
	http400 := []struct{ query, want string }{
		{"EIO=4&transport=polling&sid=nope", `{"code":1,"message":"Session ID unknown"}`},
		{"EIO=4&transport=carrier", `{"code":0,"message":"Transport unknown"}`},
		{"", `{"code":0,"message":"Transport unknown"}`},
	}
	for _, c := range http400 {
		status, body := e2etest.Call(t, http.MethodGet, p.IOURL()+"/socket.io/?"+c.query, "", "")
		if status != http.StatusBadRequest || strings.TrimSpace(body) != c.want {
			t.Errorf("GET /socket.io/?%s: %d %q, want 400 %s", c.query, status, body, c.want)
		}
	}
}

// crashPolling posts malformed payloads into live polling sessions: each
// is refused and its session closed.
func crashPolling(t *testing.T, p *harness.Pushio) {
	cases := []struct {
		name, eio string
		posts     []string
		// refused: the last POST itself must get a 4xx; a Socket.IO-level
		// error closes the session while the POST may already be answered.
		refused bool
	}{
		{"Engine.IO 4 garbage", "4", []string{"zzz\x1e\x00\xff"}, true},
		{"Engine.IO 3 bad length", "3", []string{"99:4hi"}, true},
		{"Engine.IO 3 garbage", "3", []string{"garbage"}, true},
		{"Socket.IO 4 truncated event", "4", []string{"40", `42["login"`}, false},
		{"Socket.IO 3 unknown packet", "3", []string{"2:49"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openPolling(t, p, c.eio)
			var status int
			var body string
			for _, post := range c.posts {
				status, body = e2etest.Call(t, http.MethodPost, s.url, "text/plain;charset=UTF-8", post)
			}
			if c.refused && (status < 400 || status > 499) {
				t.Errorf("POST %q: %d %q, want a 4xx refusal", c.posts[len(c.posts)-1], status, body)
			}
			s.waitClosed(t)
		})
	}
}

// crashWebsocket sends malformed frames over websocket sessions: the
// server closes each connection.
func crashWebsocket(t *testing.T, p *harness.Pushio) {
	cases := []struct {
		name, eio string
		frames    []string
	}{
		{"Engine.IO 4 garbage", "4", []string{"zzz"}},
		{"Engine.IO 3 unknown packet", "3", []string{"9zz"}},
		{"Socket.IO 4 truncated event", "4", []string{"40", `42["login"`}},
		{"Socket.IO 3 bad namespace packet", "3", []string{`42/nope,{"a"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := wsGarbage(p.IOAddr, c.eio, c.frames); err != nil {
				t.Error(err)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}
