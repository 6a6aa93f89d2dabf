package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/need"
	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/server"
)

// groupCall sends GET /?q to the API at apiURL (Accept: application/json
// when asJSON) and returns the status and answer.
func groupCall(t testing.TB, apiURL string, q url.Values, asJSON bool) (int, string) {
	t.Helper()
	return e2etest.GetAs(t, apiURL+"/?"+q.Encode(), asJSON)
}

// mustAnswer fails t unless q answers 200 want.
func mustAnswer(t testing.TB, apiURL string, want string, kv ...string) {
	t.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	status, got := groupCall(t, apiURL, q, strings.HasPrefix(want, "{"))
	if status != http.StatusOK || got != want {
		t.Fatalf("%s: %d %s, want 200 %s", q.Encode(), status, got, want)
	}
}

// clientOf is the client id of uid's one page (type=clients).
func clientOf(t testing.TB, apiURL, uid string) string {
	t.Helper()
	_, body := groupCall(t, apiURL, url.Values{"type": {"clients"}, "uid": {uid}}, true)
	var ans struct{ Clients []string }
	if err := json.Unmarshal([]byte(body), &ans); err != nil || len(ans.Clients) != 1 {
		t.Fatalf("the clients of %s: %s", uid, body)
	}
	return ans.Clients[0]
}

// allUIDs follows type=uids&group=g's cursor with pages of limit.
func allUIDs(t testing.TB, apiURL, group string, limit int) []string {
	t.Helper()
	var all []string
	cursor := ""
	for range 50 {
		q := url.Values{"type": {"uids"}, "limit": {strconv.Itoa(limit)}, "cursor": {cursor}}
		if group != "" {
			q.Set("group", group)
		}
		_, body := groupCall(t, apiURL, q, false)
		var ans struct {
			UIDs   []string
			Cursor string
		}
		if err := json.Unmarshal([]byte(body), &ans); err != nil || len(ans.UIDs) > limit {
			t.Fatalf("type=uids: %s", body)
		}
		all = append(all, ans.UIDs...)
		if ans.Cursor == "" {
			return all
		}
		cursor = ans.Cursor
	}
	t.Fatal("type=uids never ended")
	return nil
}

// TestGroupsPages: socket.io-client 1.x (polling), 2.x (websocket), 4.x
// (polling, websocket) and a plain ws page in a group by uid (joined
// before the page opened, and while it was open) and a 4.x page by its
// client id: a push to the group reaches each once (with to= naming a
// member too), exclude leaves a page out, a leave by uid takes that page
// out, the page joined by client leaves the group with its life, ungroup
// ends it; the counts, online and the uids listing follow, and a page in
// no group never gets a group's push.
func TestGroupsPages(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	api := p.APIURL()
	mustAnswer(t, api, "ok", "type", "join", "group", "g", "uid", "m-0,m-1,m-2") // before they open
	specs := []clientSpec{
		{Version: "sio1", Transports: []string{"polling"}, UID: "m-0"},
		{Version: "sio2", Transports: []string{"websocket"}, UID: "m-1"},
		{Version: "sio4", Transports: []string{"polling"}, UID: "m-2"},
		{Version: "sio4", Transports: []string{"websocket"}, UID: "m-3"},
		{Version: "ws", UID: "m-4"},
		{Version: "sio4", Transports: []string{"websocket"}, UID: "cli", Expect: 3},
		{Version: "sio2", UID: "out"},
	}
	n := startClients(t, p.IOURL(), specs...)
	n.waitLine("all_ready", 20*time.Second)
	mustAnswer(t, api, "ok", "type", "join", "group[]", "g", "uid[]", "m-3", "uid[]", "m-4") // open now
	cli := clientOf(t, api, "cli")
	mustAnswer(t, api, `{"result":"ok","clients":{"online":["`+cli+`"],"offline":[]}}`,
		"type", "join", "group", "g", "client", cli)
	mustAnswer(t, api, `{"uids":6,"pages":6}`, "type", "count", "group", "g")
	mustAnswer(t, api, `{"result":"online","online":[],"offline":[],"groups":{"online":["g"],"offline":["none"]}}`,
		"type", "online", "group", "g,none")
	// The uid members in byte order, then those in by a page alone.
	if got, want := allUIDs(t, api, "g", 4), []string{"m-0", "m-1", "m-2", "m-3", "m-4", "cli"}; !slices.Equal(got, want) {
		t.Errorf("the uids of g: %q, want %q", got, want)
	}
	if got, want := allUIDs(t, api, "", 2), []string{"cli", "m-0", "m-1", "m-2", "m-3", "m-4", "out"}; !slices.Equal(got, want) {
		t.Errorf("every uid: %q, want %q", got, want)
	}

	mustAnswer(t, api, `{"result":"ok","online":[],"offline":[],"groups":{"online":["g"],"offline":[]}}`,
		"type", "publish", "group", "g", "content", "to g")
	mustAnswer(t, api, "ok", "type", "publish", "group", "g", "to", "m-0", "content", "to g and m-0")
	mustAnswer(t, api, "ok", "type", "publish", "group", "g", "exclude", cli, "content", "to g but cli")
	mustAnswer(t, api, "ok", "type", "leave", "group", "g", "uid", "m-1")
	mustAnswer(t, api, "ok", "type", "publish", "group", "g", "content", "after m-1 left")
	n.wait(10*time.Second, "the page joined by client got its 3 and left", func(es []event) bool {
		return len(payloads(es, 5, "disconnect")) == 1
	})
	waitFor(t, 5*time.Second, "the group's counts without cli", func() bool {
		_, body := groupCall(t, api, url.Values{"type": {"count"}, "group": {"g"}}, false)
		return body == `{"uids":4,"pages":4}`
	})
	mustAnswer(t, api, "ok", "type", "ungroup", "group", "g")
	mustAnswer(t, api, "offline", "type", "publish", "group", "g", "content", "after ungroup")
	mustAnswer(t, api, "ok", "type", "publish", "content", "to everyone")
	all := []any{"to g", "to g and m-0", "to g but cli", "after m-1 left", "to everyone"}
	want := map[string][]any{
		"m-1": {"to g", "to g and m-0", "to g but cli", "to everyone"},
		"cli": {"to g", "to g and m-0", "after m-1 left"},
		"out": {"to everyone"},
	}
	for i, s := range specs {
		w, ok := want[s.UID]
		if !ok {
			w = all
		}
		if s.UID != "cli" {
			n.waitMsgs(i, len(w), 10*time.Second)
		}
	}
	time.Sleep(300 * time.Millisecond) // a second copy would have come by now
	for i, s := range specs {
		w, ok := want[s.UID]
		if !ok {
			w = all
		}
		if got := n.data(i, "new_msg"); !slices.Equal(got, w) {
			t.Errorf("page %d (%s %v, %s) got %q, want %q", i, s.Version, s.Transports, s.UID, got, w)
		}
	}
	mustAnswer(t, api, `{"uids":0,"pages":0}`, "type", "count", "group", "g")
}

// TestGroupsSignedAndLimits: with auth.secret, a login JWT's groups claim
// puts the page (socket.io-client 4.x, plain ws and sse) in those groups; a
// claim over groups.max_per_uid is a bad token; a join past the limit,
// or naming a bad group, is answered fail with its status and changes
// and sends nothing.
func TestGroupsSignedAndLimits(t *testing.T) {
	e2etest.NeedNode(t)
	const secret = "e2e-secret-of-32-bytes-or-so-xyz"
	p := e2etest.StartPushio(t, "--auth.secret", secret, "--groups.max_per_uid", "2")
	api := p.APIURL()
	token := func(uid string, groups ...string) string {
		tok, err := server.NewLoginToken(secret, uid, groups, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	specs := []clientSpec{
		{Version: "sio4", UID: "s4", Logins: [][]any{{"s4", token("s4", "jwt")}}},
		{Version: "ws", UID: "w", Token: token("w", "jwt", "other")},
		{Version: "sio2", UID: "plain", Logins: [][]any{{"plain", token("plain")}}},
		{Version: "sse", UID: "e", Token: token("e", "jwt")},
	}
	n := startClients(t, p.IOURL(), specs...)
	n.waitLine("all_ready", 20*time.Second)
	waitFor(t, 5*time.Second, "the three logged in", func() bool {
		_, body := groupCall(t, api, url.Values{"type": {"count"}}, false)
		return body == `{"uids":4,"pages":4}`
	})
	bad := startClients(t, p.IOURL(), clientSpec{Version: "sio4", UID: "many", Logins: [][]any{{"many", token("many", "a", "b", "c")}}})
	bad.wait(10*time.Second, "a claim of 3 groups refused", func(es []event) bool {
		return len(payloads(es, 0, "login_error")) == 1
	})
	if got := bad.data(0, "login_error"); !slices.Equal(got, []any{"bad token"}) {
		t.Errorf("login_error %q, want bad token", got)
	}
	mustAnswer(t, api, `{"uids":3,"pages":3}`, "type", "count", "group", "jwt")
	mustAnswer(t, api, "ok", "type", "publish", "group", "jwt", "content", "by token")

	mustAnswer(t, api, "ok", "type", "join", "group", "g1,g2", "uid", "plain")
	for _, tc := range []struct {
		name   string
		q      url.Values
		status int
	}{
		{"a third group", url.Values{"type": {"join"}, "group": {"g3"}, "uid": {"plain"}}, http.StatusConflict},
		{"a name over 1,024 bytes", url.Values{"type": {"join"}, "group": {strings.Repeat("g", 1025)}, "uid": {"plain"}}, http.StatusBadRequest},
		{"invalid UTF-8", url.Values{"type": {"join"}, "group": {"g\xff"}, "uid": {"plain"}}, http.StatusBadRequest},
		{"a group room's prefix", url.Values{"type": {"join"}, "group": {"\x1dg1"}, "uid": {"plain"}}, http.StatusBadRequest},
		{"a push to a bad name", url.Values{"type": {"publish"}, "group": {"g\xff"}, "content": {"bad"}}, http.StatusBadRequest},
		{"no group", url.Values{"type": {"ungroup"}}, http.StatusBadRequest},
	} {
		if status, body := groupCall(t, api, tc.q, false); status != tc.status || body != "fail" {
			t.Errorf("%s: %d %q, want %d fail", tc.name, status, body, tc.status)
		}
	}
	mustAnswer(t, api, "offline", "type", "publish", "group", "g3", "content", "to g3")
	mustAnswer(t, api, "ok", "type", "publish", "group", "g2", "content", "to g2")
	for i, want := range [][]any{{"by token"}, {"by token"}, {"to g2"}, {"by token"}} {
		n.waitMsgs(i, len(want), 10*time.Second)
	}
	time.Sleep(300 * time.Millisecond)
	for i, want := range [][]any{{"by token"}, {"by token"}, {"to g2"}, {"by token"}} {
		if got := n.data(i, "new_msg"); !slices.Equal(got, want) {
			t.Errorf("page %d (%s) got %q, want %q", i, specs[i].Version, got, want)
		}
	}
}

// TestGroupsCluster: three instances on one Redis behind nginx (each
// shipped config: sticky with polling then websocket, and websocket-only
// round robin), reconnecting socket.io-client 4.x and 2.x pages of member
// uids on each: a push to the group through any
// instance reaches each page once, the counts are the cluster's; a page
// joined by client id is in the group until its instance is SIGKILLed,
// while the uids' membership survives it: their pages reconnect to the
// other instances and are in the group still.
func TestGroupsCluster(t *testing.T) {
	e2etest.NeedNode(t)
	nginx := need.Program(t, "nginx")
	redis := redistest.Start(t)
	for _, tc := range shippedNginx {
		t.Run(tc.conf, func(t *testing.T) {
			groupsCluster(t, nginx, redis, tc.conf, clientSpec{Transports: tc.transports, Upgrade: tc.upgrade, Reconnect: true})
		})
	}
}

// groupsCluster is TestGroupsCluster behind nginx with conf, pages like
// tmpl.
func groupsCluster(t *testing.T, nginx string, redis *redistest.Server, conf string, tmpl clientSpec) {
	prefix := redistest.Prefix(t)
	nodes := startNodes(t, 3, "--redis.url", redis.URL(), "--redis.prefix", prefix, "--redis.presence_ttl", "2s")
	ioURL, apiURL := startNginx(t, nginx, conf, nodes)

	specs := pages(spreadAddrs(t, ioURL, nodes, 1, 6), "cl", tmpl)
	var uids []string
	for _, s := range specs {
		uids = append(uids, s.UID)
	}
	mustAnswer(t, nodes[0].APIURL(), "ok", "type", "join", "group", "team", "uid", strings.Join(uids, ","))
	n := startClients(t, ioURL, specs...)
	n.waitLine("all_ready", 20*time.Second)
	held := presence(t, redis.URL(), prefix)
	if len(held) < 2 {
		t.Fatalf("pages on %d instance(s), want them spread", len(held))
	}
	k := mostPages(t, nodes, redis.URL(), prefix)
	victim := held[nodes[k].Instance][0] // a uid on the instance to be killed
	cli := clientOf(t, nodes[(k+1)%3].APIURL(), victim)
	mustAnswer(t, nodes[(k+2)%3].APIURL(), "ok", "type", "join", "group", "one", "client", cli)
	for i, node := range nodes {
		mustAnswer(t, node.APIURL(), `{"uids":6,"pages":6}`, "type", "count", "group", "team")
		mustAnswer(t, node.APIURL(), "ok", "type", "publish", "group", "team", "content", "via "+strconv.Itoa(i))
	}
	mustAnswer(t, apiURL, `{"uids":1,"pages":1}`, "type", "count", "group", "one")
	mustAnswer(t, apiURL, "ok", "type", "publish", "group", "one", "content", "to one")
	for i, s := range specs {
		if s.UID == victim { // before the kill: a push in flight to it would be lost
			n.waitMsgs(i, 4, 10*time.Second)
		}
	}

	if err := nodes[k].Kill(); err != nil {
		t.Fatal(err)
	}
	live := nodes[(k+1)%3]
	waitFor(t, 15*time.Second, "every page back and the killed instance reaped", func() bool {
		_, team := groupCall(t, live.APIURL(), url.Values{"type": {"count"}, "group": {"team"}}, false)
		_, one := groupCall(t, live.APIURL(), url.Values{"type": {"count"}, "group": {"one"}}, false)
		return team == `{"uids":6,"pages":6}` && one == `{"uids":0,"pages":0}` &&
			len(presence(t, redis.URL(), prefix)[nodes[k].Instance]) == 0
	})
	mustAnswer(t, live.APIURL(), "ok", "type", "publish", "group", "team", "content", "after the kill")
	mustAnswer(t, live.APIURL(), "offline", "type", "publish", "group", "one", "content", "to one again")
	for i, s := range specs {
		want := []any{"via 0", "via 1", "via 2", "after the kill"}
		if s.UID == victim {
			want = []any{"via 0", "via 1", "via 2", "to one", "after the kill"}
		}
		n.waitMsgs(i, len(want), 10*time.Second)
		if got := n.data(i, "new_msg"); !slices.Equal(got, want) {
			t.Errorf("page %d (%s) got %q, want %q", i, s.UID, got, want)
		}
	}
}
