package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
)

// TestBrowserDemoPage opens the demo page in headless Chromium: it shows a
// uid and logs in, pushes to that uid and to everyone appear on it, its
// footer shows the counts, and its own "Push to me" button works. A page
// on another origin loads /socket.io/socket.io.js and receives (CORS),
// also from the demo page's "Push to everyone".
func TestBrowserDemoPage(t *testing.T) {
	b := startBrowser(t)
	p := startPushio(t)

	b.do("open", "demo", "url", p.IOURL()+"/")
	uid := waitLoggedIn(b, "demo")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(uid) {
		t.Fatalf("the page shows uid %q, want 16 hex digits", uid)
	}
	waitOnline(t, p, uid, "online", 5*time.Second)

	if got := publish(t, p, uid, richContent); got != "ok" {
		t.Fatalf("push to the page's uid %s: %q", uid, got)
	}
	shown := `<b>"&'</b> 你好，世界 😀` // the page decodes the escaped content
	b.waitText("demo", "#log", shown)
	b.waitText("demo", "#toasts", shown)

	b.waitText("demo", "#counts", "当前1人在线，共打开1个页面")
	if got, want := b.do("html", "demo", "selector", "#counts"), countsText(1, 1); got != want {
		t.Errorf("footer HTML %q, want %q", got, want)
	}
	// The original's Chinese stays, glossed in English beside it.
	b.waitText("demo", "footer", "当前1人在线，共打开1个页面 (1 user online, 1 page open)")

	if got := publish(t, p, "", "to everyone from the API"); got != "ok" {
		t.Fatalf("broadcast: %q", got)
	}
	b.waitText("demo", "#log", "to everyone from the API")

	b.do("fill", "demo", "selector", "#content", "text", "from the page's own button")
	b.do("click", "demo", "selector", "#push-self")
	b.waitText("demo", "#log", "from the page's own button")
	b.do("screenshot", "demo", "path", artifact(t, "demo.png"))

	// A page from another origin (another port).
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, strings.ReplaceAll(crossOriginPage, "IO_URL", p.IOURL()))
	}))
	defer other.Close()
	b.do("open", "other", "url", other.URL+"/")
	b.waitText("other", "#status", "connected over polling")
	waitOnline(t, p, "cross-origin", "online", 5*time.Second)
	if got := publish(t, p, "cross-origin", richContent); got != "ok" {
		t.Fatalf("push to the cross-origin page: %q", got)
	}
	b.waitText("other", "#msgs", richEscaped)

	// The demo page's "Push to everyone" reaches both pages.
	b.do("fill", "demo", "selector", "#content", "text", "everyone, from the page's button")
	b.do("click", "demo", "selector", "#push-all")
	b.waitText("demo", "#log", "everyone, from the page's button")
	b.waitText("other", "#msgs", "everyone, from the page&#039;s button")
	b.do("screenshot", "other", "path", artifact(t, "cross-origin.png"))
}

// TestBrowserDemoPageOtherPath: with io.path set to another path the demo
// page still connects (it reads the path from /demo.json) and shows pushes.
func TestBrowserDemoPageOtherPath(t *testing.T) {
	b := startBrowser(t)
	p := startPushio(t, "--io.path", "/push")

	b.do("open", "demo", "url", p.IOURL()+"/")
	uid := waitLoggedIn(b, "demo")
	waitOnline(t, p, uid, "online", 5*time.Second)
	if got := publish(t, p, uid, "over /push"); got != "ok" {
		t.Fatalf("push to the page's uid %s: %q", uid, got)
	}
	b.waitText("demo", "#log", "over /push")
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

// artifact is where a test keeps a file for people to look at: its temp
// dir, or PUSHIO_E2E_ARTIFACTS when set.
func artifact(t testing.TB, name string) string {
	dir := os.Getenv("PUSHIO_E2E_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return filepath.Join(dir, name)
}

// browser is one browser.js process driving Chromium.
type browser struct {
	t       testing.TB
	proc    *nodeProc
	answers chan browserAnswer
	console harness.Buffer // the pages' console messages and errors
	nextID  int
}

type browserAnswer struct {
	ID    int    `json:"id"`
	Ev    string `json:"ev"`
	OK    bool   `json:"ok"`
	Value any    `json:"value"`
	Error string `json:"error"`
}

// browserTimeout bounds one command; waitText's own bound is below it.
const browserTimeout = 20 * time.Second

func startBrowser(t testing.TB) *browser {
	t.Helper()
	needNode(t)
	chromium := need.Program(t, "chromium")
	b := &browser{t: t, answers: make(chan browserAnswer, 16)}
	b.proc = startNode(t, b.line, 10*time.Second, "browser.js", chromium, t.TempDir())
	b.proc.report = func() string { return "console:\n" + b.console.String() }
	return b
}

// line sorts a browser.js line into answers and console output.
func (b *browser) line(l []byte) {
	var a browserAnswer
	if err := json.Unmarshal(l, &a); err != nil || a.Ev != "" {
		_, _ = b.console.Write(append(l, '\n'))
		return
	}
	select {
	case b.answers <- a:
	default: // nobody waits for it any more
		_, _ = b.console.Write(append(l, '\n'))
	}
}

// do runs one command on a page, with its other fields given as
// key, value pairs, and returns its answer as text; t fails on an error.
func (b *browser) do(op, page string, kv ...any) string {
	b.t.Helper()
	v := b.answer(op, page, kv...)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// decode runs one command as do does and decodes its answer into out.
func (b *browser) decode(out any, op, page string, kv ...any) {
	b.t.Helper()
	raw, _ := json.Marshal(b.answer(op, page, kv...))
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("browser %s %v: answer %s: %v", op, kv, raw, err)
	}
}

// answer runs one command and returns the value it answered.
func (b *browser) answer(op, page string, kv ...any) any {
	b.t.Helper()
	b.nextID++
	cmd := map[string]any{"id": b.nextID, "op": op, "page": page}
	for i := 0; i+1 < len(kv); i += 2 {
		cmd[kv[i].(string)] = kv[i+1]
	}
	line, _ := json.Marshal(cmd)
	if _, err := b.proc.stdin.Write(append(line, '\n')); err != nil {
		b.t.Fatalf("browser %s: %v", op, err)
	}
	select {
	case a := <-b.answers:
		if a.ID != b.nextID || !a.OK {
			b.t.Fatalf("browser %s %v: %s (answer to command %d)", op, kv, a.Error, a.ID)
		}
		return a.Value
	case <-b.proc.exited:
		b.t.Fatalf("browser %s: browser.js exited", op)
	case <-time.After(browserTimeout):
		b.t.Fatalf("browser %s: no answer within %s", op, browserTimeout)
	}
	return nil
}

// waitText waits until the element's text on page contains text.
func (b *browser) waitText(page, selector, text string) string {
	b.t.Helper()
	return b.do("waitText", page, "selector", selector, "text", text, "timeout_ms", 10000)
}

// TestBrowserDemoPageSecured: with signed logins and an API secret on, the
// demo page cannot log in or push (it has neither token nor secret), and
// says so rather than staying silent: its status is the refusal with the
// server's reason, in red, never the green of a login.
func TestBrowserDemoPageSecured(t *testing.T) {
	b := startBrowser(t)
	p := startPushio(t, "--api.secret", "api-secret-for-the-test", "--auth.secret", "login-secret-for-the-test")

	b.do("open", "demo", "url", p.IOURL()+"/")
	b.waitText("demo", "#status", "login refused: token required")
	b.waitText("demo", "#log", "login refused")
	if state := b.do("attr", "demo", "selector", "#status", "name", "data-state"); state != "refused" {
		t.Errorf("status state %q, want refused", state)
	}
	if color := b.do("eval", "demo", "js", `getComputedStyle(document.getElementById("status")).color`); color != statusRed {
		t.Errorf("refused status colour %s, want red %s", color, statusRed)
	}
	b.do("screenshot", "demo", "path", artifact(t, "demo-refused.png"))
	b.do("click", "demo", "selector", "#push-self")
	b.waitText("demo", "#log", "the push did not come back")
}
