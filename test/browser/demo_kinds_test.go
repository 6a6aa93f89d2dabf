package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/harness"
)

// demoKinds are the demo page's switch positions and the transport and
// protocol labels pushio_connections counts a page of each under.
var demoKinds = map[string][2]string{
	"socketio": {"websocket", "4"}, // Chromium upgrades from polling
	"ws":       {"plain_websocket", "none"},
	"sse":      {"sse", "none"},
}

// demoPages reads pushio_connections of p by switch position.
func demoPages(t testing.TB, p *harness.Pushio) map[string]float64 {
	t.Helper()
	fams := e2etest.Metrics(t, p)
	got := map[string]float64{}
	for kind, l := range demoKinds {
		got[kind] = fams.Value("pushio_connections", "transport", l[0], "protocol", l[1])
	}
	got["socketio"] += fams.Value("pushio_connections", "transport", "polling", "protocol", "4")
	return got
}

// demoSwitch opens the demo page on from (?kind=), switches it to kind
// with its switch, and checks that it then holds one connection, of
// that kind, logged in (green), with the counts of one page; that a
// push to its uid, a broadcast and its own "Push to me" button reach it;
// and that the choice stays in its URL. Its screenshot is kept as
// demo-KIND.png.
func demoSwitch(t *testing.T, from, kind string) {
	b := e2etest.StartBrowser(t)
	p := e2etest.StartPushio(t)
	b.Do("open", "demo", "url", p.IOURL()+"/?kind="+from)
	waitLoggedIn(b, "demo")
	if got := b.Do("eval", "demo", "js", `document.getElementById("kind-`+from+`").checked`); got != "true" {
		t.Fatalf("?kind=%s: its switch position checked is %s, want true", from, got)
	}
	b.Do("click", "demo", "selector", "#kind-"+kind)
	b.WaitText("demo", "#log", "connecting with ")
	uid := waitLoggedIn(b, "demo")
	eventually.True(t, 10*time.Second, "one page, of kind "+kind, func() bool {
		got := demoPages(t, p)
		for k, n := range got {
			if n != map[bool]float64{true: 1}[k == kind] {
				return false
			}
		}
		return true
	})
	b.WaitText("demo", "footer", "当前1人在线，共打开1个页面 (1 user online, 1 page open)")
	if class := b.Do("attr", "demo", "selector", "footer", "name", "class"); strings.Contains(class, "stale") {
		t.Errorf("footer class %q while logged in, want fresh counts", class)
	}

	if got := e2etest.Publish(t, p, uid, e2etest.RichContent); got != "ok" {
		t.Fatalf("push to the page's uid %s: %q", uid, got)
	}
	b.WaitText("demo", "#log", `<b>"&'</b> 你好，世界 😀`)
	b.WaitText("demo", "#toasts", `<b>"&'</b> 你好，世界 😀`)
	if got := e2etest.Publish(t, p, "", "to everyone over "+kind); got != "ok" {
		t.Fatalf("broadcast: %q", got)
	}
	b.WaitText("demo", "#log", "to everyone over "+kind)
	b.Do("fill", "demo", "selector", "#content", "text", "from the button over "+kind)
	b.Do("click", "demo", "selector", "#push-self")
	b.WaitText("demo", "#log", "from the button over "+kind)
	if got := b.Do("eval", "demo", "js", "location.search"); !strings.Contains(got, "kind="+kind) {
		t.Errorf("the page's URL has %q, want kind=%s in it", got, kind)
	}
	b.Do("screenshot", "demo", "path", e2etest.Artifact(t, "demo-"+kind+".png"))
}

// TestBrowserDemoPageWebSocket: the demo page's switch to plain
// WebSocket, from Socket.IO (see demoSwitch).
func TestBrowserDemoPageWebSocket(t *testing.T) { demoSwitch(t, "socketio", "ws") }

// TestBrowserDemoPageEventSource: the switch to EventSource, from plain
// WebSocket.
func TestBrowserDemoPageEventSource(t *testing.T) { demoSwitch(t, "ws", "sse") }

// TestBrowserDemoPageSocketIO: the switch back to Socket.IO, from
// EventSource.
func TestBrowserDemoPageSocketIO(t *testing.T) { demoSwitch(t, "sse", "socketio") }

// TestBrowserDemoPageSecuredKinds: with signed logins on, the demo page
// switched to plain WebSocket or EventSource says its login is refused,
// in red, as it does over Socket.IO (TestBrowserDemoPageSecured): the
// WebSocket with the server's reason, the EventSource with what its 403
// means (the page cannot read the reason).
func TestBrowserDemoPageSecuredKinds(t *testing.T) {
	b := e2etest.StartBrowser(t)
	p := e2etest.StartPushio(t, "--auth.secret", "login-secret-for-the-test")
	for kind, want := range map[string]string{
		"ws":  "login refused: token required",
		"sse": "login refused: the server refused the event stream (a 403: signed logins need a token in its URL)",
	} {
		b.Do("open", kind, "url", p.IOURL()+"/?kind="+kind)
		b.WaitText(kind, "#status", want)
		if state := b.Do("attr", kind, "selector", "#status", "name", "data-state"); state != "refused" {
			t.Errorf("%s: status state %q, want refused", kind, state)
		}
		if color := statusColor(b, kind); color != statusRed {
			t.Errorf("%s: refused status colour %s, want red %s", kind, color, statusRed)
		}
		b.Do("screenshot", kind, "path", e2etest.Artifact(t, "demo-refused-"+kind+".png"))
	}
}
