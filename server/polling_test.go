package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/settings"
)

// Engine.IO's error answers: a refused request, and one for a closed
// session.
const (
	badRequestBody = `{"code":3,"message":"Bad request"}`
	errUnknownSID  = `{"code":1,"message":"Session ID unknown"}`
)

// pollingClient speaks Engine.IO long-polling, EIO 3 (string payloads,
// b64=1) or EIO 4, to one session.
type pollingClient struct {
	t     *testing.T
	url   string // up to and including "?EIO=n&transport=polling"
	eio   int
	sid   string
	open  map[string]any // the handshake's open packet
	queue []string       // packets received and not yet read by next
	http  *http.Client
}

// openPolling opens a session on the Engine.IO server at base+path.
func openPolling(t *testing.T, base, path string, eio int) *pollingClient {
	t.Helper()
	c := &pollingClient{
		t:    t,
		url:  base + path + "?EIO=" + strconv.Itoa(eio) + "&transport=polling",
		eio:  eio,
		http: &http.Client{Timeout: waitTimeout},
	}
	if eio == 3 {
		c.url += "&b64=1"
	}
	status, body := c.do(http.MethodGet, c.url, "")
	if status != http.StatusOK {
		t.Fatalf("handshake: %d %q", status, body)
	}
	packets := c.packets(body)
	if !strings.HasPrefix(packets[0], "0{") || json.Unmarshal([]byte(packets[0][1:]), &c.open) != nil {
		t.Fatalf("handshake: open packet %q", packets[0])
	}
	if c.sid, _ = c.open["sid"].(string); c.sid == "" {
		t.Fatalf("handshake: open packet without a sid: %q", packets[0])
	}
	c.queue = packets[1:]
	return c
}

// payload encodes Engine.IO packets as a polling body of c's protocol.
func (c *pollingClient) payload(packets ...string) string {
	if c.eio == 4 {
		return strings.Join(packets, "\x1e")
	}
	var b strings.Builder
	for _, p := range packets {
		b.WriteString(strconv.Itoa(len([]rune(p))) + ":" + p) // every test string is in the BMP
	}
	return b.String()
}

// packets splits a polling body of c's protocol.
func (c *pollingClient) packets(body string) []string {
	if c.eio == 4 {
		return strings.Split(body, "\x1e")
	}
	return decodeEIO3Payload(c.t, body)
}

func (c *pollingClient) post(body string) (int, string) {
	return c.do(http.MethodPost, c.url+"&sid="+c.sid, body)
}

func (c *pollingClient) get() (int, string) {
	return c.do(http.MethodGet, c.url+"&sid="+c.sid, "")
}

// send posts packets in one payload, which the server must accept.
func (c *pollingClient) send(packets ...string) {
	c.t.Helper()
	if status, body := c.post(c.payload(packets...)); status != http.StatusOK || body != "ok" {
		c.t.Fatalf("posting %q: %d %q", packets, status, body)
	}
}

// poll GETs the next payload; call it only when the server has something
// to send, as a poll otherwise waits for the ping interval.
func (c *pollingClient) poll() []string {
	c.t.Helper()
	status, body := c.get()
	if status != http.StatusOK {
		c.t.Fatalf("polling: %d %q", status, body)
	}
	return c.packets(body)
}

// next returns the next packet starting with prefix, polling as needed
// and dropping others.
func (c *pollingClient) next(prefix string) string {
	c.t.Helper()
	for range 10 {
		for len(c.queue) > 0 {
			p := c.queue[0]
			c.queue = c.queue[1:]
			if strings.HasPrefix(p, prefix) {
				return p
			}
		}
		c.queue = c.poll()
	}
	c.t.Fatalf("no packet starting %q in 10 polls", prefix)
	return ""
}

func (c *pollingClient) do(method, url, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return res.StatusCode, string(b)
}

// decodeEIO3Payload splits a text payload: <length>:<packet>, repeated.
// Lengths count characters; pushio's packets are ASCII.
func decodeEIO3Payload(t *testing.T, payload string) []string {
	t.Helper()
	var packets []string
	for payload != "" {
		n, rest, ok := strings.Cut(payload, ":")
		size, err := strconv.Atoi(n)
		if !ok || err != nil || size > len(rest) {
			t.Fatalf("malformed Engine.IO 3 payload at %q", payload)
		}
		packets = append(packets, rest[:size])
		payload = rest[size:]
	}
	if len(packets) == 0 {
		t.Fatal("empty Engine.IO 3 payload")
	}
	return packets
}

// newPollingTest starts a Server whose polls are answered within half a
// second (the ping interval) unless a test says otherwise.
func newPollingTest(t *testing.T, opts Options) *ioTest {
	t.Helper()
	if opts.PingInterval == 0 {
		opts.PingInterval = 500 * time.Millisecond
	}
	if opts.PingTimeout == 0 {
		opts.PingTimeout = 2 * time.Second
	}
	return startIOTest(t, opts)
}

// connectSocketIO joins c to the main namespace (EIO 3 clients are joined
// by the server) and reads the answer.
func connectSocketIO(t *testing.T, c *pollingClient) {
	t.Helper()
	if c.eio == 4 {
		c.send("40")
	}
	if status, body := c.get(); status != http.StatusOK || !strings.Contains(body, "40") {
		t.Fatalf("CONNECT answer: %d %q", status, body)
	}
}

// waitOnline waits until uid is online, or fails after a bound.
func (it *ioTest) waitOnline(t *testing.T, uid string) {
	t.Helper()
	eventually(t, "uid "+uid+" to come online", func() bool { return it.online(t, uid) })
}

func TestMalformedPollingPostClosesOnlyItsSession(t *testing.T) {
	it := newPollingTest(t, Options{})
	for _, tc := range []struct {
		name string
		eio  int
		body string
	}{
		{"EIO 4 unknown packet type", 4, "abc"},
		{"EIO 4 bad base64", 4, "b!!!"},
		{"EIO 4 empty", 4, ""},
		{"EIO 3 no length", 3, "abc"},
		{"EIO 3 length not a number", 3, "x:4hello"},
		{"EIO 3 length past the end", 3, "9:4hello"},
		{"EIO 3 unknown packet type", 3, "3:abc"},
		{"EIO 3 empty", 3, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := openPolling(t, it.URL, "/socket.io/", tc.eio)
			good := openPolling(t, it.URL, "/socket.io/", tc.eio)
			connectSocketIO(t, good)

			if status, body := bad.post(tc.body); status != http.StatusBadRequest || body != badRequestBody {
				t.Errorf("malformed POST: got %d %q, want 400 %q", status, body, badRequestBody)
			}
			if status, body := bad.get(); status != http.StatusBadRequest || body != errUnknownSID {
				t.Errorf("GET after a malformed POST: got %d %q, want 400 %q", status, body, errUnknownSID)
			}

			uid := "u-" + strconv.Itoa(tc.eio) + "-" + good.sid
			good.send(`42["login","` + uid + `"]`)
			it.waitOnline(t, uid)
		})
	}
}

func TestValidPollingPostLogsIn(t *testing.T) {
	it := newPollingTest(t, Options{})
	for _, tc := range []struct {
		name    string
		eio     int
		packets []string
		uid     string
	}{
		{"EIO 4 ASCII", 4, []string{`42["login","alice"]`}, "alice"},
		{"EIO 4 non-ASCII", 4, []string{`42["login","张三"]`}, "张三"},
		{"EIO 4 two packets", 4, []string{"3", `42["login","bob"]`}, "bob"},
		{"EIO 3 ASCII (2.x)", 3, []string{`42["login","carol"]`}, "carol"},
		{"EIO 3 non-ASCII as 2.x sends it", 3, []string{`42["login","李四"]`}, "李四"},
		// socket.io-client 1.x UTF-8-encodes the text once more (undoUTF8Twice).
		{"EIO 3 non-ASCII as 1.x sends it", 3, []string{`42["login","` + latin1Bytes("王五") + `"]`}, "王五"},
		{"EIO 3 Latin-1 text is left alone", 3, []string{`42["login","café"]`}, "café"},
		{"EIO 3 1.x text beside a ping", 3, []string{"2", `42["login","` + latin1Bytes("赵六") + `"]`}, "赵六"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := openPolling(t, it.URL, "/socket.io/", tc.eio)
			connectSocketIO(t, c)
			c.send(tc.packets...)
			it.waitOnline(t, tc.uid)
		})
	}
}

// latin1Bytes spells the UTF-8 bytes of s as runes U+0000…U+00FF, as
// socket.io-client 1.x puts text in a polling payload.
func latin1Bytes(s string) string {
	r := make([]rune, 0, len(s))
	for _, b := range []byte(s) {
		r = append(r, rune(b))
	}
	return string(r)
}

func TestConnectTimeoutClosesNamespacelessSession(t *testing.T) {
	const timeout = 300 * time.Millisecond
	it := newPollingTest(t, Options{ConnectTimeout: timeout, Connection: settings.Connection{PingInterval: time.Minute, PingTimeout: time.Minute}})

	idle := openPolling(t, it.URL, "/socket.io/", 4)
	joined := openPolling(t, it.URL, "/socket.io/", 4)
	connectSocketIO(t, joined)

	// Only the connect timeout can answer this poll before the ping. When
	// the timeout fires before the poll arrives, the library answers it
	// with a noop before the close packet.
	if status, body := idle.get(); status != http.StatusOK || (body != "1" && body != "6\x1e1") {
		t.Errorf("poll of a session that never joined: got %d %q, want 200 \"1\" (close)", status, body)
	}
	eng := it.sio.Engine()
	eventually(t, "the idle session to be dropped", func() bool {
		_, ok := eng.Session(idle.sid)
		return !ok
	})
	if _, ok := eng.Session(joined.sid); !ok {
		t.Errorf("the connect timeout closed a session that had joined a namespace")
	}
}
