package browser

import (
	"regexp"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
)

// TestBrowserDemoPage opens the demo page in headless Chromium: it shows a
// uid and logs in, pushes to that uid and to everyone appear on it, its
// footer shows the counts, and its own "Push to me" button works. A page
// on another origin loads /socket.io/socket.io.js and receives (CORS),
// also from the demo page's "Push to everyone".
func TestBrowserDemoPage(t *testing.T) {
	b := e2etest.StartBrowser(t)
	p := e2etest.StartPushio(t)

	b.Do("open", "demo", "url", p.IOURL()+"/")
	uid := waitLoggedIn(b, "demo")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(uid) {
		t.Fatalf("the page shows uid %q, want 16 hex digits", uid)
	}
	e2etest.WaitOnline(t, p, uid, "online", 5*time.Second)

	if got := e2etest.Publish(t, p, uid, e2etest.RichContent); got != "ok" {
		t.Fatalf("push to the page's uid %s: %q", uid, got)
	}
	shown := `<b>"&'</b> 你好，世界 😀` // the page decodes the escaped content
	b.WaitText("demo", "#log", shown)
	b.WaitText("demo", "#toasts", shown)

	b.WaitText("demo", "#counts", "当前1人在线，共打开1个页面")
	if got, want := b.Do("html", "demo", "selector", "#counts"), e2etest.CountsText(1, 1); got != want {
		t.Errorf("footer HTML %q, want %q", got, want)
	}
	// The original's Chinese stays, glossed in English beside it.
	b.WaitText("demo", "footer", "当前1人在线，共打开1个页面 (1 user online, 1 page open)")

	if got := e2etest.Publish(t, p, "", "to everyone from the API"); got != "ok" {
		t.Fatalf("broadcast: %q", got)
	}
	b.WaitText("demo", "#log", "to everyone from the API")

	b.Do("fill", "demo", "selector", "#content", "text", "from the page's own button")
	b.Do("click", "demo", "selector", "#push-self")
	b.WaitText("demo", "#log", "from the page's own button")
	b.Do("screenshot", "demo", "path", e2etest.Artifact(t, "demo.png"))

	// A page from another origin (another port).
	other := e2etest.ServePage(t, p, crossOriginPage)
	b.Do("open", "other", "url", other.URL+"/")
	b.WaitText("other", "#status", "connected over polling")
	e2etest.WaitOnline(t, p, "cross-origin", "online", 5*time.Second)
	if got := e2etest.Publish(t, p, "cross-origin", e2etest.RichContent); got != "ok" {
		t.Fatalf("push to the cross-origin page: %q", got)
	}
	b.WaitText("other", "#msgs", e2etest.RichEscaped)

	// The demo page's "Push to everyone" reaches both pages.
	b.Do("fill", "demo", "selector", "#content", "text", "everyone, from the page's button")
	b.Do("click", "demo", "selector", "#push-all")
	b.WaitText("demo", "#log", "everyone, from the page's button")
	b.WaitText("other", "#msgs", "everyone, from the page&#039;s button")
	b.Do("screenshot", "other", "path", e2etest.Artifact(t, "cross-origin.png"))
}

// TestBrowserDemoPageOtherPath: with io.path set to another path the demo
// page still connects (it reads the path from /demo.json) and shows pushes.
func TestBrowserDemoPageOtherPath(t *testing.T) {
	b := e2etest.StartBrowser(t)
	p := e2etest.StartPushio(t, "--io.path", "/push")

	b.Do("open", "demo", "url", p.IOURL()+"/")
	uid := waitLoggedIn(b, "demo")
	e2etest.WaitOnline(t, p, uid, "online", 5*time.Second)
	if got := e2etest.Publish(t, p, uid, "over /push"); got != "ok" {
		t.Fatalf("push to the page's uid %s: %q", uid, got)
	}
	b.WaitText("demo", "#log", "over /push")
}

// crossOriginPage is served from another origin; it uses pushio's client
// bundle and polling with credentials, the requests CORS governs.
const crossOriginPage = `<!doctype html>
<meta charset="utf-8"><title>another site</title>
<p id="status">loading</p><div id="msgs"></div>
<script src="IO_URL/socket.io/socket.io.js"></script>
<script>
  var state = document.getElementById("status");
  var socket = io("IO_URL", { transports: ["polling"], withCredentials: true });
  socket.on("connect", function () {
    state.textContent = "connected over " + socket.io.engine.transport.name;
    socket.emit("login", "cross-origin");
  });
  socket.on("connect_error", function (e) { state.textContent = "connect_error: " + e.message; });
  socket.on("new_msg", function (m) {
    var d = document.createElement("div");
    d.textContent = m;
    document.getElementById("msgs").appendChild(d);
  });
</script>
`

// TestBrowserDemoPageSecured: with signed logins and an API secret on, the
// demo page cannot log in or push (it has neither token nor secret), and
// says so rather than staying silent: its status is the refusal with the
// server's reason, in red, never the green of a login.
func TestBrowserDemoPageSecured(t *testing.T) {
	b := e2etest.StartBrowser(t)
	p := e2etest.StartPushio(t, "--api.secret", "api-secret-for-the-test", "--auth.secret", "login-secret-for-the-test")

	b.Do("open", "demo", "url", p.IOURL()+"/")
	b.WaitText("demo", "#status", "login refused: token required")
	b.WaitText("demo", "#log", "login refused")
	if state := b.Do("attr", "demo", "selector", "#status", "name", "data-state"); state != "refused" {
		t.Errorf("status state %q, want refused", state)
	}
	if color := statusColor(b, "demo"); color != statusRed {
		t.Errorf("refused status colour %s, want red %s", color, statusRed)
	}
	b.Do("screenshot", "demo", "path", e2etest.Artifact(t, "demo-refused.png"))
	b.Do("click", "demo", "selector", "#push-self")
	b.WaitText("demo", "#log", "the push did not come back")
}
