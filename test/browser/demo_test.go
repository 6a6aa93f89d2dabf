package browser

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
)

// The demo page's status colours, as getComputedStyle gives them: green
// is for a page logged in and for nothing else.
const (
	statusGreen = "rgb(26, 127, 55)"
	statusRed   = "rgb(180, 35, 24)"
)

// waitLoggedIn waits until the demo page on page says it is logged in, in
// green, and returns its uid. The first login after a restart may wait for
// the client's reconnection back-off (up to 5 s, randomised by half).
func waitLoggedIn(b *e2etest.Browser, page string) string {
	b.T().Helper()
	b.Do("waitText", page, "selector", "#status", "text", "logged in as ", "timeout_ms", 15000)
	uid := b.Do("text", page, "selector", "#uid")
	if got := b.Do("text", page, "selector", "#status"); got != "logged in as "+uid {
		b.T().Errorf("status %q, want %q", got, "logged in as "+uid)
	}
	if state := b.Do("attr", page, "selector", "#status", "name", "data-state"); state != "loggedin" {
		b.T().Errorf("status state %q, want loggedin", state)
	}
	if color := statusColor(b, page); color != statusGreen {
		b.T().Errorf("logged-in status colour %s, want green %s", color, statusGreen)
	}
	return uid
}

func statusColor(b *e2etest.Browser, page string) string {
	return b.Do("eval", page, "js", `getComputedStyle(document.getElementById("status")).color`)
}

// TestBrowserDemoPageReconnects: when its server dies the demo page says
// so and counts its reconnection attempts, not green, and marks the counts
// it last got as stale; when a server is back on the same address it logs
// in again by itself, with fresh counts, and receives.
func TestBrowserDemoPageReconnects(t *testing.T) {
	b := e2etest.StartBrowser(t)
	p := e2etest.StartPushio(t)

	b.Do("open", "demo", "url", p.IOURL()+"/")
	waitLoggedIn(b, "demo")
	b.WaitText("demo", "footer", "(1 user online, 1 page open)")
	if class := b.Do("attr", "demo", "selector", "footer", "name", "class"); strings.Contains(class, "stale") {
		t.Errorf("footer class %q while logged in, want fresh counts", class)
	}

	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	b.WaitText("demo", "#status", "reconnecting… (attempt 2")
	if state := b.Do("attr", "demo", "selector", "#status", "name", "data-state"); state != "reconnecting" {
		t.Errorf("status state %q, want reconnecting", state)
	}
	if color := statusColor(b, "demo"); color == statusGreen {
		t.Errorf("reconnecting status is green")
	}
	if class := b.Do("attr", "demo", "selector", "footer", "name", "class"); !strings.Contains(class, "stale") {
		t.Errorf("footer class %q while reconnecting, want stale", class)
	}
	b.WaitText("demo", "footer", "当前1人在线，共打开1个页面 (1 user online, 1 page open) — stale, not connected")
	b.Do("screenshot", "demo", "path", e2etest.Artifact(t, "demo-reconnecting.png"))

	p = e2etest.StartPushio(t, "--io.addr", p.IOAddr, "--api.addr", p.APIAddr)
	uid := waitLoggedIn(b, "demo")
	b.Do("waitGone", "demo", "selector", "footer.stale")
	b.WaitText("demo", "footer", "(1 user online, 1 page open)")
	if got := e2etest.Publish(t, p, uid, "after the restart"); got != "ok" {
		t.Fatalf("push after the restart: %q", got)
	}
	b.WaitText("demo", "#log", "after the restart")
}

// TestBrowserDemoPageNarrow: on a 390 px wide screen the notifications
// cover neither the heading nor the status, even four long ones, the page
// does not scroll sideways, a notification's close button removes it, and
// the others go by themselves.
func TestBrowserDemoPageNarrow(t *testing.T) {
	const width, height = 390, 844
	b := e2etest.StartBrowser(t)
	p := e2etest.StartPushio(t)

	b.Do("open", "phone", "url", p.IOURL()+"/", "width", width, "height", height)
	uid := waitLoggedIn(b, "phone")
	e2etest.WaitOnline(t, p, uid, "online", 5*time.Second)
	layout := func(wantToasts int) {
		t.Helper()
		var top, toasts []rect
		b.Decode(&top, "rects", "phone", "selector", "h1, #status")
		b.Decode(&toasts, "rects", "phone", "selector", "#toasts .toast")
		if len(top) != 2 || len(toasts) != wantToasts {
			t.Fatalf("%d heading and status boxes, %d notifications; want 2 and %d", len(top), len(toasts), wantToasts)
		}
		for _, n := range toasts {
			for _, h := range top {
				if n.overlaps(h) {
					t.Errorf("notification %+v covers %+v", n, h)
				}
			}
			if n.X < 0 || n.X+n.Width > width || n.Y < 0 || n.Y+n.Height > height {
				t.Errorf("notification %+v is not inside the %dx%d viewport", n, width, height)
			}
		}
		var scroll int
		b.Decode(&scroll, "eval", "phone", "js", "document.documentElement.scrollWidth")
		if scroll > width {
			t.Errorf("the page is %d px wide on a %d px screen: it scrolls sideways", scroll, width)
		}
	}

	if got := e2etest.Publish(t, p, uid, "one to dismiss"); got != "ok" {
		t.Fatalf("push: %q", got)
	}
	b.WaitText("phone", "#toasts", "one to dismiss")
	layout(1)
	b.Do("screenshot", "phone", "path", e2etest.Artifact(t, "demo-390.png"))
	b.Do("click", "phone", "selector", "#toasts .toast button.dismiss")
	b.Do("waitGone", "phone", "selector", "#toasts .toast")

	long := strings.Repeat("a long notification that wraps ", 12) + strings.Repeat("x", 150)
	for i := range 4 {
		if got := e2etest.Publish(t, p, uid, fmt.Sprintf("%d: %s", i, long)); got != "ok" {
			t.Fatalf("push %d: %q", i, got)
		}
	}
	b.WaitText("phone", "#toasts", "3: a long")
	layout(3) // the oldest made room
	b.Do("screenshot", "phone", "path", e2etest.Artifact(t, "demo-390-long.png"))
	b.Do("waitGone", "phone", "selector", "#toasts .toast", "timeout_ms", 15000)
}

// rect is an element's bounding box in CSS pixels.
type rect struct{ X, Y, Width, Height float64 }

func (r rect) overlaps(o rect) bool {
	return r.X < o.X+o.Width && o.X < r.X+r.Width && r.Y < o.Y+o.Height && o.Y < r.Y+r.Height
}

// TestBrowserDemoPageCurlHint: the page's curl line shows where the
// credentials go when the API wants them, with placeholders (it learns
// only whether they are needed), and is the plain call otherwise.
func TestBrowserDemoPageCurlHint(t *testing.T) {
	const secret = "api-secret-for-the-hint-test"
	b := e2etest.StartBrowser(t)
	tests := []struct {
		name string
		args []string
		want string // {api} and {uid} replaced
	}{
		{"open", nil, "curl '{api}/?type=publish&to={uid}&content=hello'"},
		{"secret", []string{"--api.secret", secret},
			"curl -H 'Authorization: Bearer YOUR_API_SECRET' '{api}/?type=publish&to={uid}&content=hello'"},
		{"signature", []string{"--api.secret", secret, "--api.signature=true"},
			"curl '{api}/?type=publish&to={uid}&content=hello&auth_timestamp=UNIX_TIME&auth_nonce=RANDOM&auth_signature=HMAC_SHA256_HEX'"},
	}
	// One browser for all: its commands fail the test, not a subtest.
	for _, tt := range tests {
		p := e2etest.StartPushio(t, tt.args...)
		b.Do("open", tt.name, "url", p.IOURL()+"/")
		b.WaitText(tt.name, "#example", "curl ")
		uid := b.Do("text", tt.name, "selector", "#uid")
		want := strings.NewReplacer("{api}", p.APIURL(), "{uid}", uid).Replace(tt.want)
		if got := b.Do("text", tt.name, "selector", "#example"); got != want {
			t.Errorf("%s: curl hint %q, want %q", tt.name, got, want)
		}
		if html := b.Do("eval", tt.name, "js", "document.documentElement.outerHTML"); strings.Contains(html, secret) {
			t.Errorf("%s: the api.secret is on the page", tt.name)
		}
	}
}
