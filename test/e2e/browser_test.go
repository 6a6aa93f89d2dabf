package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/test/e2e/harness"
)

// TestBrowserDemoPage opens the demo page in headless Chromium: it shows a
// uid and logs in, pushes to that uid and to everyone appear on it, its
// footer shows the counts, and its own "Push to me" button works. A page
// on another origin loads /socket.io/socket.io.js and receives (CORS).
func TestBrowserDemoPage(t *testing.T) {
	b := startBrowser(t)
	p := startPushio(t)

	b.do("open", "demo", "url", p.IOURL()+"/")
	b.waitText("demo", "#status", "connected")
	uid := b.do("text", "demo", "selector", "#uid")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(uid) {
		t.Fatalf("the page shows uid %q, want 16 hex digits", uid)
	}
	waitOnline(t, p, uid, "online", 5*time.Second)

	if got := publish(t, p, richContent, uid); got != "ok" {
		t.Fatalf("push to the page's uid %s: %q", uid, got)
	}
	shown := `<b>"&'</b> 你好，世界 😀` // the page decodes the escaped content
	b.waitText("demo", "#log", shown)
	b.waitText("demo", "#toasts", shown)

	b.waitText("demo", "#counts", "当前1人在线，共打开1个页面")
	if got, want := b.do("html", "demo", "selector", "#counts"), countsText(1, 1); got != want {
		t.Errorf("footer HTML %q, want %q", got, want)
	}

	if got := publish(t, p, "to everyone from the API"); got != "ok" {
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
	if got := publish(t, p, richContent, "cross-origin"); got != "ok" {
		t.Fatalf("push to the cross-origin page: %q", got)
	}
	b.waitText("other", "#msgs", richEscaped)
	b.do("screenshot", "other", "path", artifact(t, "cross-origin.png"))
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
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	answers chan browserAnswer
	log     harness.Buffer // console lines and stderr
	exited  chan struct{}
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
	chromium := harness.Need(t, "chromium")
	b := &browser{t: t, answers: make(chan browserAnswer, 16), exited: make(chan struct{})}
	b.cmd = exec.Command("node", "browser.js", chromium, t.TempDir())
	b.cmd.Stderr = &b.log
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("browser.js stdout: %v", err)
	}
	if b.stdin, err = b.cmd.StdinPipe(); err != nil {
		t.Fatalf("browser.js stdin: %v", err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("starting browser.js: %v", err)
	}
	go b.read(stdout)
	t.Cleanup(b.stop)
	return b
}

func (b *browser) read(stdout io.Reader) {
	defer close(b.exited)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var a browserAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil || a.Ev != "" {
			_, _ = b.log.Write(append(sc.Bytes(), '\n'))
			continue
		}
		b.answers <- a
	}
	_ = b.cmd.Wait()
}

func (b *browser) stop() {
	_ = b.stdin.Close()
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.exited
	}
	if b.t.Failed() {
		b.t.Logf("browser.js output:\n%s", b.log.String())
	}
}

// do runs one command on a page, with its other fields given as
// key, value pairs, and returns its answer as text; t fails on an error.
func (b *browser) do(op, page string, kv ...any) string {
	b.t.Helper()
	b.nextID++
	cmd := map[string]any{"id": b.nextID, "op": op, "page": page}
	for i := 0; i+1 < len(kv); i += 2 {
		cmd[kv[i].(string)] = kv[i+1]
	}
	line, _ := json.Marshal(cmd)
	if _, err := b.stdin.Write(append(line, '\n')); err != nil {
		b.t.Fatalf("browser %s: %v", op, err)
	}
	select {
	case a := <-b.answers:
		if a.ID != b.nextID || !a.OK {
			b.t.Fatalf("browser %s %v: %s (answer to command %d)", op, kv, a.Error, a.ID)
		}
		if a.Value == nil {
			return ""
		}
		return fmt.Sprint(a.Value)
	case <-b.exited:
		b.t.Fatalf("browser %s: browser.js exited", op)
	case <-time.After(browserTimeout):
		b.t.Fatalf("browser %s: no answer within %s", op, browserTimeout)
	}
	return ""
}

// waitText waits until the element's text on page contains text.
func (b *browser) waitText(page, selector, text string) string {
	b.t.Helper()
	return b.do("waitText", page, "selector", selector, "text", text, "timeout_ms", 10000)
}
