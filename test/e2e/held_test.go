package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
	"github.com/pushio/pushio/internal/test/redistest"
)

// holdPublish pushes content to uid with ttl= (none when "") through the
// API at apiURL and returns the plain answer.
func holdPublish(t testing.TB, apiURL, uid, content, ttl string) string {
	t.Helper()
	q := url.Values{"type": {"publish"}, "to": {uid}, "content": {content}}
	if ttl != "" {
		q.Set("ttl", ttl)
	}
	status, body := e2etest.Call(t, http.MethodGet, apiURL+"/?"+q.Encode(), "", "")
	if status != http.StatusOK {
		t.Fatalf("publish %s to %s: %d %q", content, uid, status, body)
	}
	return body
}

// heldCount is type=held's plain answer for uid.
func heldCount(t testing.TB, apiURL, uid string) string {
	t.Helper()
	_, body := e2etest.Call(t, http.MethodGet, apiURL+"/?type=held&uid="+url.QueryEscape(uid), "", "")
	return body
}

// beforeCounts is how many new_msg events client c got before its first
// update_online_count.
func beforeCounts(es []event, c int) int {
	n := 0
	for _, e := range es {
		if e.C != c {
			continue
		}
		switch e.Ev {
		case "update_online_count":
			return n
		case "new_msg":
			n++
		}
	}
	return n
}

// reload is a page of uid on client version v that logs in, goes away
// (its client.js ends), and comes back: what came back.
func reload(t *testing.T, p *harness.Pushio, v, uid string, whileAway func()) *nodeClients {
	t.Helper()
	first := startClients(t, p.IOURL(), clientSpec{Version: v, UID: uid})
	first.waitLine("all_ready", 15*time.Second)
	first.proc.Stop(5 * time.Second)
	e2etest.WaitOnline(t, p, uid, "offline", 5*time.Second)
	whileAway()
	again := startClients(t, p.IOURL(), clientSpec{Version: v, UID: uid})
	again.waitLine("all_ready", 15*time.Second)
	return again
}

// TestHeldAcrossReload: pushes with a ttl while a page reloads arrive
// after its login, before its counts, in order, once, for every client
// version and the plain wires; a push without a ttl is lost as before.
func TestHeldAcrossReload(t *testing.T) {
	e2etest.NeedNode(t)
	for _, v := range []string{"sio1", "sio2", "sio4", "ws", "sse"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			// No counts broadcast while the page comes back: one would
			// reach it before its login (as the original does) and
			// stand for the login's own counts in the order checked.
			p := e2etest.StartPushio(t, "--counts.interval", "10m")
			uid := "reload-" + v
			n := reload(t, p, v, uid, func() {
				for _, m := range []struct{ content, ttl string }{{"held 1", "60"}, {"lost", ""}, {"held <2>", "60"}, {"zero", "0"}} {
					if got := holdPublish(t, p.APIURL(), uid, m.content, m.ttl); got != "offline" {
						t.Fatalf("publish %q to an offline uid: %q, want offline", m.content, got)
					}
				}
				if got := heldCount(t, p.APIURL(), uid); got != "2" {
					t.Fatalf("type=held: %q, want 2", got)
				}
			})
			n.waitMsgs(0, 2, 5*time.Second)
			if got := heldCount(t, p.APIURL(), uid); got != "0" {
				t.Errorf("type=held after the login: %q, want 0", got)
			}
			if got := holdPublish(t, p.APIURL(), uid, "live", "60"); got != "ok" {
				t.Fatalf("publish to the page: %q, want ok", got)
			}
			n.waitMsgs(0, 3, 5*time.Second)
			time.Sleep(300 * time.Millisecond) // a copy twice would be here by now
			if got, want := n.data(0, "new_msg"), []any{"held 1", "held &lt;2&gt;", "live"}; !slices.Equal(got, want) {
				t.Errorf("new_msg %q, want %q", got, want)
			}
			n.mu.Lock()
			events := slices.Clone(n.events)
			n.mu.Unlock()
			if beforeCounts(events, 0) != 2 {
				t.Errorf("the held messages came after the counts:\n%s", n.dump())
			}
		})
	}
}

// TestHeldExpiryAndBounds: a message whose ttl ended is not delivered;
// past hold.max_messages the oldest are dropped and counted.
func TestHeldExpiryAndBounds(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t, "--hold.max_messages", "3")
	api := p.APIURL()
	holdPublish(t, api, "exp", "short", "1")
	holdPublish(t, api, "exp", "long", "60")
	for i := range 5 {
		holdPublish(t, api, "bound", fmt.Sprintf("b%d", i), "60")
	}
	if got := heldCount(t, api, "bound"); got != "3" {
		t.Errorf("type=held past max_messages: %q, want 3", got)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := heldCount(t, api, "exp"); got != "1" {
		t.Errorf("type=held after the short ttl: %q, want 1", got)
	}
	n := startClients(t, p.IOURL(), clientSpec{Version: "sio4", UID: "exp"}, clientSpec{Version: "sio2", UID: "bound"})
	n.waitLine("all_ready", 15*time.Second)
	n.waitMsgs(1, 3, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if got := n.data(0, "new_msg"); !slices.Equal(got, []any{"long"}) {
		t.Errorf("expiry: new_msg %q, want only long", got)
	}
	if got := n.data(1, "new_msg"); !slices.Equal(got, []any{"b2", "b3", "b4"}) {
		t.Errorf("bounds: new_msg %q, want the newest three", got)
	}
	_, metrics := e2etest.Call(t, http.MethodGet, api+"/metrics", "", "")
	if !strings.Contains(metrics, "pushio_held_dropped_total 2\n") || !strings.Contains(metrics, "pushio_held_delivered_total 4\n") {
		t.Errorf("metrics lack held_dropped_total 2 and held_delivered_total 4:\n%s", grepLines(metrics, "pushio_held"))
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestHeldTwoPagesAtOnce: two pages of one uid log in together; every
// held message reaches exactly one of them, once, in order.
func TestHeldTwoPagesAtOnce(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	var want []any
	for i := range 20 {
		content := fmt.Sprintf("m%02d", i)
		holdPublish(t, p.APIURL(), "twice", content, "60")
		want = append(want, content)
	}
	n := startClients(t, p.IOURL(), clientSpec{Version: "sio4", UID: "twice"}, clientSpec{Version: "sio1", UID: "twice"})
	n.waitLine("all_ready", 15*time.Second)
	time.Sleep(300 * time.Millisecond)
	a, b := n.data(0, "new_msg"), n.data(1, "new_msg")
	if !(slices.Equal(a, want) && len(b) == 0 || slices.Equal(b, want) && len(a) == 0) {
		t.Errorf("the two pages got %q and %q, want all 20 by one of them", a, b)
	}
}

// TestHeldHostileTTL: a ttl that is no whole number of seconds in range
// is refused 400 fail and nothing is sent or held.
func TestHeldHostileTTL(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	n := startClients(t, p.IOURL(), clientSpec{Version: "sio4", UID: "here"})
	n.waitLine("all_ready", 15*time.Second)
	for _, ttl := range []string{"-1", "1.5", "1e3", "abc", "", "99999999999", "%FF", "0x10", "%205"} {
		for _, to := range []string{"here", "away"} {
			status, body := e2etest.Call(t, http.MethodGet, p.APIURL()+"/?type=publish&content=bad&to="+to+"&ttl="+ttl, "", "")
			if status != http.StatusBadRequest || body != "fail" {
				t.Errorf("ttl=%s: %d %q, want 400 fail", ttl, status, body)
			}
		}
	}
	status, body := e2etest.Call(t, http.MethodGet, p.APIURL()+"/?type=publish&content=bad&to=away&ttl[]=5", "", "")
	if status != http.StatusBadRequest || body != "fail" {
		t.Errorf("ttl[]=5: %d %q, want 400 fail", status, body)
	}
	if got := heldCount(t, p.APIURL(), "away"); got != "0" {
		t.Errorf("held %s after refused publishes", got)
	}
	if got := holdPublish(t, p.APIURL(), "here", "good", "100000"); got != "ok" {
		t.Fatalf("a ttl over hold.max_ttl is capped, not refused: %q", got)
	}
	n.waitMsgs(0, 1, 5*time.Second)
	if got := n.data(0, "new_msg"); !slices.Equal(got, []any{"good"}) {
		t.Errorf("the page got %q, want only good", got)
	}
}

// TestHeldCluster: on two instances sharing a Redis, a message held by
// A's publish is taken by a login on B; a Redis restart (no persistence)
// loses what was held, and nothing fails after it.
func TestHeldCluster(t *testing.T) {
	e2etest.NeedNode(t)
	srv := redistest.Start(t)
	nodes := startNodes(t, 2, "--redis.url", srv.URL(), "--redis.prefix", redistest.Prefix(t))
	a, b := nodes[0].APIURL(), nodes[1].APIURL()
	status, body := e2etest.GetAs(t, a+"/?type=publish&to=far,near&content=from+A&ttl=60", true)
	if status != http.StatusOK || body != `{"result":"offline","online":[],"offline":["far","near"],"held":["far","near"]}` {
		t.Fatalf("JSON answer %d %s", status, body)
	}
	if got := heldCount(t, b, "far"); got != "1" {
		t.Fatalf("B sees %q held, want 1", got)
	}
	n := startClients(t, nodes[1].IOURL(), clientSpec{Version: "sio2", UID: "far"})
	n.waitLine("all_ready", 15*time.Second)
	n.waitMsgs(0, 1, 5*time.Second)
	if got := holdPublish(t, a, "far", "live from A", "60"); got != "ok" {
		t.Fatalf("publish via A to the page on B: %q", got)
	}
	n.waitMsgs(0, 2, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if got := n.data(0, "new_msg"); !slices.Equal(got, []any{"from A", "live from A"}) {
		t.Errorf("the page on B got %q", got)
	}

	srv.Restart()
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = heldCount(t, a, "near"); got == "0" {
			break
		}
	}
	if got != "0" {
		t.Fatalf("type=held after a Redis restart without persistence: %q, want 0", got)
	}
	e2etest.WaitOnline(t, nodes[0], "far", "online", 10*time.Second)
	holdPublish(t, a, "near", "after the restart", "60")
	m := startClients(t, nodes[1].IOURL(), clientSpec{Version: "sio4", UID: "near"})
	m.waitLine("all_ready", 15*time.Second)
	m.waitMsgs(0, 1, 5*time.Second)
	if got := m.data(0, "new_msg"); !slices.Equal(got, []any{"after the restart"}) {
		t.Errorf("after the restart the page got %q", got)
	}
}

// reloadPage logs in as uid "reloader" with pushio's client bundle; after
// a reload asked with sessionStorage "hold", it waits for go() before it
// connects, so that a test can push while the page is away. It lists in
// #events what it gets, in order.
const reloadPage = `<!doctype html>
<meta charset="utf-8"><title>reloading</title>
<p id="status">loading</p><div id="events"></div>
<script src="IO_URL/socket.io/socket.io.js"></script>
<script>
  var state = document.getElementById("status");
  function add(text) {
    var d = document.createElement("div");
    d.textContent = text;
    document.getElementById("events").appendChild(d);
  }
  function go() {
    var socket = io("IO_URL", { transports: ["websocket"] });
    socket.on("connect", function () { socket.emit("login", "reloader"); });
    socket.on("new_msg", function (m) { add("msg:" + m); });
    socket.on("update_online_count", function () {
      if (state.textContent !== "counted") add("counts");
      state.textContent = "counted";
    });
  }
  if (sessionStorage.getItem("hold")) {
    sessionStorage.removeItem("hold");
    state.textContent = "waiting";
  } else {
    go();
  }
</script>
`

// TestHeldBrowserReload: Chromium reloads a logged-in page; a push with a
// ttl sent while it is away is shown once, right after its login.
func TestHeldBrowserReload(t *testing.T) {
	b := e2etest.StartBrowser(t)
	p := e2etest.StartPushio(t)
	site := e2etest.ServePage(t, p, reloadPage)
	b.Do("open", "page", "url", site.URL+"/")
	b.WaitText("page", "#status", "counted")
	e2etest.WaitOnline(t, p, "reloader", "online", 5*time.Second)

	b.Do("eval", "page", "js", `sessionStorage.setItem("hold", "1"); setTimeout(function () { location.reload(); }, 0); true`)
	b.WaitText("page", "#status", "waiting")
	e2etest.WaitOnline(t, p, "reloader", "offline", 5*time.Second)
	if got := holdPublish(t, p.APIURL(), "reloader", "while reloading", "60"); got != "offline" {
		t.Fatalf("push during the reload: %q, want offline", got)
	}
	b.Do("eval", "page", "js", `go(); true`)
	b.WaitText("page", "#status", "counted")
	if got := holdPublish(t, p.APIURL(), "reloader", "after", "60"); got != "ok" {
		t.Fatalf("push after the reload: %q, want ok", got)
	}
	b.WaitText("page", "#events", "msg:after")
	time.Sleep(300 * time.Millisecond)
	if got, want := b.Do("eval", "page", "js", `Array.from(document.querySelectorAll("#events div")).map(function (d) { return d.textContent; }).join("|")`),
		"msg:while reloading|counts|msg:after"; got != want {
		t.Errorf("the reloaded page shows %q, want %q", got, want)
	}
}

// TestHeldGroup: a push to a group with a ttl is held for each member uid
// that has no page at publish time, and a member's page gets it at its
// login; a member online got it live and has nothing held.
func TestHeldGroup(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	api := p.APIURL()
	if got := e2etest.APIGet(t, p, "type=join&group=team&uid=on,off1,off2"); got != "ok" {
		t.Fatalf("join: %q", got)
	}
	n := startClients(t, p.IOURL(), clientSpec{Version: "sio4", UID: "on"})
	n.waitLine("all_ready", 15*time.Second)
	status, body := e2etest.GetAs(t, api+"/?type=publish&group=team&content=for+the+team&ttl=60", true)
	if status != http.StatusOK || !strings.Contains(body, `"held":["off1","off2"]`) {
		t.Fatalf("group publish: %d %s, want held off1 and off2", status, body)
	}
	n.waitMsgs(0, 1, 5*time.Second)
	for uid, want := range map[string]string{"on": "0", "off1": "1", "off2": "1"} {
		if got := heldCount(t, api, uid); got != want {
			t.Errorf("type=held&uid=%s: %q, want %s", uid, got, want)
		}
	}
	m := startClients(t, p.IOURL(), clientSpec{Version: "sio2", UID: "off1"})
	m.waitLine("all_ready", 15*time.Second)
	m.waitMsgs(0, 1, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if got := m.data(0, "new_msg"); !slices.Equal(got, []any{"for the team"}) {
		t.Errorf("off1's page got %q, want the group push once", got)
	}
	if got := n.data(0, "new_msg"); !slices.Equal(got, []any{"for the team"}) {
		t.Errorf("the online member got %q, want it once", got)
	}
}

// TestHeldPHP runs the README's PHP for held messages under php-cli; the
// page that logs in after it gets the message held last, once.
func TestHeldPHP(t *testing.T) {
	php := need.PHP(t)
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, php, "testdata/held.php", p.APIURL(), "bob").CombinedOutput()
	if err != nil {
		t.Fatalf("php testdata/held.php: %v\n%s", err, out)
	}
	want := "held for: bob\nheld: 1\npurge: ok\nheld after purge: 0\nheld again for: bob\n"
	if string(out) != want {
		t.Errorf("php printed:\n%s\nwant:\n%s", out, want)
	}
	n := startClients(t, p.IOURL(), clientSpec{Version: "sio4", UID: "bob"})
	n.waitLine("all_ready", 15*time.Second)
	n.waitMsgs(0, 1, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if got := n.data(0, "new_msg"); !slices.Equal(got, []any{"Your order shipped"}) {
		t.Errorf("the page got %q, want the message once", got)
	}
}
