package browser

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
)

// readmePage is the README's html block under heading, rendered by
// php-cli with $uid set to uid and, when secret is not empty, after the
// README's PHP of signed logins (which reads $secret from
// PUSHIO_AUTH_SECRET).
func readmePage(t *testing.T, php, heading, uid, secret string) string {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n"+heading+"\n")
	m := regexp.MustCompile("(?s)```html\n(.*?)```").FindStringSubmatch(section)
	if !ok || m == nil {
		t.Fatalf("README.md has no html block under %q", heading)
	}
	code := "<?php"
	if secret != "" {
		i := strings.Index(string(b), "function pushio_login_jwt")
		start := strings.LastIndex(string(b[:max(i, 0)]), "```php\n<?php\n")
		end := strings.Index(string(b[max(i, 0):]), "```")
		if i < 0 || start < 0 || end < 0 {
			t.Fatal("README.md has no php block defining pushio_login_jwt")
		}
		code = string(b[start+len("```php\n") : i+end])
	}
	src := filepath.Join(t.TempDir(), "page.php")
	if err := os.WriteFile(src, []byte(code+"\n$uid = '"+uid+"'; ?>"+m[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, php, src)
	cmd.Env = append(os.Environ(), "PUSHIO_AUTH_SECRET="+secret)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("php %s: %v\n%s", heading, err, out)
	}
	return string(out)
}

// recorder, put before a README page, keeps what its WebSocket and
// EventSource receive and the WebSockets' close codes (window.got), and
// how many WebSockets it opened (window.opened), as the page's own
// handlers run unchanged.
const recorder = `<script>
window.got = []; window.opened = 0;
const PlainWebSocket = window.WebSocket;
window.WebSocket = class extends PlainWebSocket {
  constructor(url) {
    super(url);
    window.opened++;
    this.addEventListener("message", (e) => window.got.push("ws " + e.data));
    this.addEventListener("close", (e) => window.got.push("ws close " + e.code));
  }
};
const PlainEventSource = window.EventSource;
window.EventSource = class extends PlainEventSource {
  addEventListener(ev, f) {
    super.addEventListener(ev, (e) => { window.got.push("sse " + ev + " " + e.data); f(e); });
  }
};
</script>
`

// TestReadmePlainPages runs the README's two page examples, rendered by
// php-cli, in Chromium from another origin (so CORS too), pointed at a
// pushio instead of push.example.com, with logins unsigned and signed
// (auth.secret, the README's pushio_login_jwt): each logs in and gets a
// push to its uid and the counts; the WebSocket one, whose server drains
// and comes back on its address, reconnects by itself and gets the next
// push.
func TestReadmePlainPages(t *testing.T) {
	php := need.PHP(t)
	for _, secret := range []string{"", "readme-login-secret-of-32-bytes!"} {
		t.Run(map[bool]string{true: "signed", false: "unsigned"}[secret != ""], func(t *testing.T) {
			readmePlainPages(t, php, secret)
		})
	}
}

func readmePlainPages(t *testing.T, php, secret string) {
	b := e2etest.StartBrowser(t)
	var args []string
	if secret != "" {
		args = []string{"--auth.secret", secret}
	}
	p := e2etest.StartPushio(t, args...)
	pages := map[string]string{
		"/ws.html": strings.ReplaceAll(readmePage(t, php, "### Plain WebSocket pages", "readme-ws", secret),
			"wss://push.example.com", "ws://"+p.IOAddr),
		"/sse.html": strings.ReplaceAll(readmePage(t, php, "### EventSource pages", "readme-sse", secret),
			"https://push.example.com", p.IOURL()),
	}
	if hasToken := strings.Contains(pages["/ws.html"], `const token = "ey`); hasToken != (secret != "") {
		t.Errorf("the ws page has a token: %t, want %t:\n%s", hasToken, secret != "", pages["/ws.html"])
	}
	for path, page := range pages {
		if strings.Contains(page, "example.com") || strings.Contains(page, "<?") {
			t.Fatalf("%s still names example.com or PHP:\n%s", path, page)
		}
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html><meta charset=utf-8>"+recorder+pages[r.URL.Path])
	}))
	defer site.Close()
	got := func(page string) []string {
		var s []string
		_ = json.Unmarshal([]byte(b.Do("eval", page, "js", "JSON.stringify(window.got)")), &s)
		return s
	}
	for _, kind := range []string{"ws", "sse"} {
		b.Do("open", kind, "url", site.URL+"/"+kind+".html")
		e2etest.WaitOnline(t, p, "readme-"+kind, "online", 10*time.Second)
		if r := e2etest.Publish(t, p, "readme-"+kind, "hello "+kind); r != "ok" {
			t.Fatalf("publish to the %s page: %q", kind, r)
		}
	}
	eventually.True(t, 10*time.Second, "each page got its push and the counts", func() bool {
		ws, sse := strings.Join(got("ws"), "\n"), strings.Join(got("sse"), "\n")
		return strings.Contains(ws, `ws {"event":"new_msg","data":"hello ws"}`) &&
			strings.Contains(ws, `"event":"update_online_count"`) &&
			strings.Contains(sse, "sse new_msg hello sse") && strings.Contains(sse, "sse update_online_count ")
	})

	// The WebSocket page's server drains (1001), then is back.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	p = e2etest.StartPushio(t, append(args, "--io.addr", p.IOAddr, "--api.addr", p.APIAddr)...)
	e2etest.WaitOnline(t, p, "readme-ws", "online", 15*time.Second)
	if r := e2etest.Publish(t, p, "readme-ws", "after the restart"); r != "ok" {
		t.Fatalf("publish after the restart: %q", r)
	}
	eventually.True(t, 10*time.Second, "the ws page's push after the restart", func() bool {
		return slices.Contains(got("ws"), `ws {"event":"new_msg","data":"after the restart"}`)
	})
	var closes []string
	for _, g := range got("ws") {
		if strings.HasPrefix(g, "ws close ") {
			closes = append(closes, g)
		}
	}
	// The attempts while the server drained (503) or was gone fail (1006)
	// and are retried; the first close is the drain's.
	if len(closes) == 0 || closes[0] != "ws close 1001" {
		t.Errorf("the ws page saw closes %q, want 1001 first", closes)
	}
	var opened int
	b.Decode(&opened, "eval", "ws", "js", "window.opened")
	if opened < 2 {
		t.Errorf("the ws page opened %d WebSockets, want 2 or more", opened)
	}
}
