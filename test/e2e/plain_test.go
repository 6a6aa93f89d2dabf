package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/need"
	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/server"
)

// plainKinds are the four kinds of page one uid may have open at once.
var plainKinds = []string{"sio2", "sio4", "ws", "sse"}

// TestPlainMixedRoom: a socket.io-client 2.x page, a 4.x page, a page on
// the npm ws package and one on the npm eventsource package, all of one
// uid, each get one copy of every push to the uid and of the broadcast,
// in order; a page of another uid gets only the broadcast; the counts
// count all of them.
func TestPlainMixedRoom(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	var specs []clientSpec
	for _, v := range plainKinds {
		specs = append(specs, clientSpec{Version: v, UID: "mixed"})
	}
	specs = append(specs, clientSpec{Version: "ws", UID: "other"})
	n := startClients(t, p.IOURL(), specs...)
	n.waitLine("all_ready", 20*time.Second)
	want := []any{}
	for i := range 5 {
		msg := fmt.Sprintf("push %d <b>&</b>", i)
		if got := e2etest.Publish(t, p, "mixed", msg); got != "ok" {
			t.Fatalf("publish: %q", got)
		}
		want = append(want, strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(msg))
	}
	if got := e2etest.Publish(t, p, "", "to all"); got != "ok" {
		t.Fatalf("broadcast: %q", got)
	}
	want = append(want, "to all")
	for i := range specs {
		w := want
		if i == len(specs)-1 {
			w = []any{"to all"}
		}
		n.waitMsgs(i, len(w), 10*time.Second)
	}
	time.Sleep(300 * time.Millisecond) // a second copy would have come by now
	for i, s := range specs {
		w := want
		if s.UID == "other" {
			w = []any{"to all"}
		}
		if got := n.data(i, "new_msg"); !slices.Equal(got, w) {
			t.Errorf("page %d (%s) got %q, want %q", i, s.Version, got, w)
		}
	}
	counts := server.CountsHTML(adapter.Counts{UIDs: 2, Pages: 5})
	n.wait(5*time.Second, "every page is told 2 uids and 5 pages", func(es []event) bool {
		for i := range specs {
			if last := payloads(es, i, "update_online_count"); len(last) == 0 || last[len(last)-1] != counts {
				return false
			}
		}
		return true
	})
}

// TestPlainMixedGroup: a socket.io-client 2.x page, a 4.x page, a ws
// page and an sse page, each of its own uid, in one group — three by
// their uid's membership, the sse page by its client id — get one copy
// of each group push, in order, also when a push names the group and a
// uid of it; a page excluded from a push and a page outside the group
// get none of it.
func TestPlainMixedGroup(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	var specs []clientSpec
	for _, v := range plainKinds {
		specs = append(specs, clientSpec{Version: v, UID: "g-" + v})
	}
	specs = append(specs, clientSpec{Version: "ws", UID: "outside"})
	n := startClients(t, p.IOURL(), specs...)
	n.waitLine("all_ready", 20*time.Second)
	api := p.APIURL()
	mustAnswer(t, api, "ok", "type", "join", "group", "team", "uid", "g-sio2,g-sio4,g-ws")
	sse := clientOf(t, api, "g-sse")
	mustAnswer(t, api, "ok", "type", "join", "group", "team", "client", sse)
	// The count follows a join by client once the page's instance has
	// recorded it, a moment after the join's answer.
	eventually.True(t, 5*time.Second, "the group counts 4 uids and 4 pages", func() bool {
		_, count := groupCall(t, api, url.Values{"type": {"count"}, "group": {"team"}}, true)
		return count == `{"uids":4,"pages":4}`
	})

	mustAnswer(t, api, "ok", "type", "publish", "group", "team", "content", "one")
	mustAnswer(t, api, "ok", "type", "publish", "group", "team", "to", "g-ws", "content", "two") // matched twice: one copy
	mustAnswer(t, api, "ok", "type", "publish", "group", "team", "exclude", sse, "content", "three")
	for i := range plainKinds {
		want := 3
		if plainKinds[i] == "sse" {
			want = 2
		}
		n.waitMsgs(i, want, 10*time.Second)
	}
	time.Sleep(300 * time.Millisecond) // a second copy would have come by now
	for i, v := range plainKinds {
		want := []any{"one", "two", "three"}
		if v == "sse" {
			want = []any{"one", "two"}
		}
		if got := n.data(i, "new_msg"); !slices.Equal(got, want) {
			t.Errorf("page %d (%s) got %q, want %q", i, v, got, want)
		}
	}
	if got := n.data(len(specs)-1, "new_msg"); len(got) != 0 {
		t.Errorf("the page outside the group got %q", got)
	}
}

// sign is the HMAC token of uid with secret.
func sign(secret, uid string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(uid))
	return hex.EncodeToString(m.Sum(nil))
}

// TestPlainSignedLogins: with auth.secret, ws and sse pages log in with
// a signed token; a bad token is refused (ws: login_error; sse: the
// stream is refused with 403 and EventSource gives up).
func TestPlainSignedLogins(t *testing.T) {
	e2etest.NeedNode(t)
	const secret = "e2e-secret-of-32-bytes-or-so-xyz"
	p := e2etest.StartPushio(t, "--auth.secret", secret)
	specs := []clientSpec{
		{Version: "ws", UID: "good", Token: sign(secret, "good")},
		{Version: "sse", UID: "good", Token: sign(secret, "good")},
	}
	n := startClients(t, p.IOURL(), specs...)
	n.waitLine("all_ready", 20*time.Second)
	e2etest.WaitOnline(t, p, "good", "online", 5*time.Second)
	if got := e2etest.Publish(t, p, "good", "signed"); got != "ok" {
		t.Fatalf("publish: %q", got)
	}
	n.waitMsgs(0, 1, 5*time.Second)
	n.waitMsgs(1, 1, 5*time.Second)

	bad := startClients(t, p.IOURL(),
		clientSpec{Version: "ws", UID: "bad", Token: sign(secret, "other")},
		clientSpec{Version: "sse", UID: "bad", Token: "0000"})
	bad.wait(10*time.Second, "both refused", func(es []event) bool {
		return len(payloads(es, 0, "login_error")) == 1 && len(payloads(es, 1, "disconnect")) == 1
	})
	if got := bad.data(0, "login_error"); !slices.Equal(got, []any{"bad token"}) {
		t.Errorf("ws login_error %q, want bad token", got)
	}
	if got := bad.data(1, "connect_error"); len(got) == 0 || !strings.Contains(fmt.Sprint(got[0]), "403") {
		t.Errorf("sse refusal %q, want a 403", got)
	}
	if got := e2etest.Online(t, p, "bad"); got != "offline" {
		t.Errorf("bad is %s", got)
	}
}

// TestPlainChromium: Chromium's own WebSocket and EventSource, of one
// uid, get the pushes to it, the counts and their welcome.
func TestPlainChromium(t *testing.T) {
	b := e2etest.StartBrowser(t)
	p := e2etest.StartPushio(t)
	b.Do("open", "p", "url", p.IOURL()+"/healthz")
	b.Do("eval", "p", "js", `(() => {
		window.got = [];
		const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws");
		ws.onopen = () => ws.send(JSON.stringify({event: "login", data: "chrome"}));
		ws.onmessage = (e) => { const m = JSON.parse(e.data); window.got.push("ws " + m.event + " " + (m.event === "welcome" ? "cid" : m.data)); };
		const es = new EventSource("/events?uid=chrome");
		for (const ev of ["welcome", "new_msg", "update_online_count"]) {
			es.addEventListener(ev, (e) => window.got.push("sse " + ev + " " + (ev === "welcome" ? "cid" : e.data)));
		}
		return true;
	})()`)
	got := func() []string {
		var s []string
		_ = json.Unmarshal([]byte(b.Do("eval", "p", "js", "JSON.stringify(window.got)")), &s)
		return s
	}
	waitFor(t, 10*time.Second, "both logged in", func() bool {
		g := strings.Join(got(), "\n")
		return strings.Contains(g, "ws update_online_count") && strings.Contains(g, "sse update_online_count")
	})
	if got := e2etest.Publish(t, p, "chrome", "line 1\nline 2"); got != "ok" {
		t.Fatalf("publish: %q", got)
	}
	waitFor(t, 10*time.Second, "both got the push", func() bool {
		g := got()
		return slices.Contains(g, "ws new_msg line 1\nline 2") && slices.Contains(g, "sse new_msg line 1\nline 2")
	})
	g := got()
	for _, w := range []string{"ws welcome cid", "sse welcome cid"} {
		if !slices.Contains(g, w) {
			t.Errorf("no %q in %q", w, g)
		}
	}
}

// waitFor polls cond every 50 ms until it holds, failing t past within.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// plainPages are one page of each kind from each of addrs, with uids
// uid-0, uid-1, …
func plainPages(addrs []string, uid string, tmpl clientSpec) []clientSpec {
	var specs []clientSpec
	for _, a := range addrs {
		for _, v := range plainKinds {
			s := tmpl
			s.Version = v
			s.UID = fmt.Sprintf("%s-%d", uid, len(specs))
			s.Local = a
			specs = append(specs, s)
		}
	}
	return specs
}

// TestPlainNginxCluster: three instances on one Redis behind the shipped
// deploy/nginx/pushio.conf, pages of every kind from several addresses
// (so on several instances): each gets its own push and the broadcast
// once, whichever instance took the API call. The event streams come
// through nginx at once: it does not buffer them.
func TestPlainNginxCluster(t *testing.T) {
	e2etest.NeedNode(t)
	nginx := need.Program(t, "nginx")
	redis := redistest.Start(t)
	prefix := redistest.Prefix(t)
	nodes := startNodes(t, 3, "--redis.url", redis.URL(), "--redis.prefix", prefix)
	ioURL, apiURL := startNginx(t, nginx, "pushio.conf", nodes)
	specs := plainPages(spreadAddrs(t, ioURL, nodes, 30, 4), "np", clientSpec{Expect: 2})
	n := startClients(t, ioURL, specs...)
	n.waitLine("all_ready", 20*time.Second)
	if got := len(presence(t, redis.URL(), prefix)); got < 2 {
		t.Errorf("pages are on %d instance(s), want them spread over at least 2", got)
	}
	pushEach(t, "nginx", apiURL, specs)
	n.waitLine("done", 10*time.Second)
	checkMsgs(t, n, specs, func(i int) []any { return []any{fmt.Sprintf("to %d", i), "to everyone"} })
}

// TestPlainHAProxyCluster is TestPlainNginxCluster behind the shipped
// deploy/haproxy/pushio.cfg.
func TestPlainHAProxyCluster(t *testing.T) {
	e2etest.NeedNode(t)
	haproxy := need.Program(t, "haproxy")
	redis := redistest.Start(t)
	prefix := redistest.Prefix(t)
	nodes := startNodes(t, 3, "--redis.url", redis.URL(), "--redis.prefix", prefix)
	hp := startHAProxy(t, haproxy, nodes)
	ioURL, apiURL := hp.ioURL, hp.apiURL
	specs := plainPages(loopbacks(31, 4), "hp", clientSpec{Expect: 2})
	n := startClients(t, ioURL, specs...)
	n.waitLine("all_ready", 20*time.Second)
	pushEach(t, "haproxy", apiURL, specs)
	n.waitLine("done", 10*time.Second)
	checkMsgs(t, n, specs, func(i int) []any { return []any{fmt.Sprintf("to %d", i), "to everyone"} })
}
