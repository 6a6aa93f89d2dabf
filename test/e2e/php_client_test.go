package e2e

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
	"github.com/pushio/pushio/internal/test/redistest"
)

// The PHP client's tests: clients/php installed with composer, driven by
// testdata/client.php under php-cli against the built binary, each call's
// effect checked on real socket.io-client pages and on its answer.

// phpPresence is a publish or online answer as the client returns it.
type phpPresence struct {
	Result  string   `json:"result"`
	Online  []string `json:"online"`
	Offline []string `json:"offline"`
}

// TestPHPClientPublish: publish to a uid, to several, to nobody online and
// to everyone reaches exactly the pages it names, with content escaped;
// online and count answer from phpPresence.
func TestPHPClientPublish(t *testing.T) {
	php := newPHPClient(t)
	p := e2etest.StartPushio(t)
	n := startClients(t, p.IOURL(),
		clientSpec{Version: "sio2", Transports: []string{"polling"}, UID: "alice"},
		clientSpec{Version: "sio4", Transports: []string{"websocket"}, UID: "bob"},
	)
	n.waitLine("all_ready", 15*time.Second)

	rs := php.run(p.APIURL(), nil,
		phpDo("publish", "alice", e2etest.RichContent),
		phpDo("publish", []string{"alice", "bob", "nobody"}, "both"),
		phpDo("publish", "nobody", "lost"),
		phpDo("publish", nil, "everyone"),
		phpDo("online", map[string]any{"uid": []string{"bob", "nobody"}}),
		phpDo("count"),
	)
	wants := []phpPresence{
		{"ok", []string{"alice"}, []string{}},
		{"ok", []string{"alice", "bob"}, []string{"nobody"}},
		{"offline", []string{}, []string{"nobody"}},
		{"ok", []string{}, []string{}},
		{"online", []string{"bob"}, []string{"nobody"}},
	}
	for i, want := range wants {
		var got phpPresence
		rs[i].answer(t, &got)
		if got.Result != want.Result || !slices.Equal(got.Online, want.Online) || !slices.Equal(got.Offline, want.Offline) {
			t.Errorf("call %d answered %+v, want %+v", i, got, want)
		}
	}
	var counts struct{ UIDs, Pages int }
	rs[5].answer(t, &counts)
	if counts.UIDs != 2 || counts.Pages != 2 {
		t.Errorf("count answered %+v, want 2 uids and 2 pages", counts)
	}

	n.waitMsgs(0, 3, 5*time.Second)
	n.waitMsgs(1, 2, 5*time.Second)
	if got, want := n.data(0, "new_msg"), []any{e2etest.RichEscaped, "both", "everyone"}; !slices.Equal(got, want) {
		t.Errorf("alice got %q, want %q", got, want)
	}
	if got, want := n.data(1, "new_msg"), []any{"both", "everyone"}; !slices.Equal(got, want) {
		t.Errorf("bob got %q, want %q", got, want)
	}
}

// TestPHPClientAccess: with the API open, with api.secret (sent as a
// bearer header) and with api.signature (each request signed), a publish
// to uids whose names need encoding (a comma, &, =, +, %, spaces, UTF-8)
// and a batch (signed: with body_sha256) reach their pages; a wrong
// secret is the fail exception with 401 and sends nothing.
func TestPHPClientAccess(t *testing.T) {
	const secret = "api-secret-of-the-php-test"
	odd := []string{"a,b &=+%2B ü", "ä/?#[]"}
	cases := []struct {
		name    string
		flags   []string
		options map[string]any
	}{
		{"open", nil, nil},
		{"secret", []string{"--api.secret", secret}, map[string]any{"secret": secret}},
		{"signature", []string{"--api.secret", secret, "--api.signature"}, map[string]any{"secret": secret, "signature": true}},
	}
	php := newPHPClient(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := e2etest.StartPushio(t, tc.flags...)
			n := startClients(t, p.IOURL(),
				clientSpec{Version: "sio1", Transports: []string{"websocket"}, UID: odd[0]},
				clientSpec{Version: "sio4", UID: odd[1]},
			)
			n.waitLine("all_ready", 15*time.Second)
			rs := php.run(p.APIURL(), tc.options,
				phpDo("publish", odd, "to both"),
				phpDo("publish", odd[1], "to one"),
				phpDo("online", map[string]any{"uid": odd[0]}),
				phpDo("batch", []any{map[string]any{"to": odd[0], "content": "batched"}}),
			)
			var got phpPresence
			rs[0].answer(t, &got)
			if got.Result != "ok" || !slices.Equal(got.Online, odd) {
				t.Errorf("publish answered %+v, want ok with %q online", got, odd)
			}
			rs[2].answer(t, &got)
			if got.Result != "online" {
				t.Errorf("online answered %+v, want online", got)
			}
			var batched []phpPresence
			rs[3].answer(t, &batched)
			if len(batched) != 1 || batched[0].Result != "ok" {
				t.Errorf("batch answered %+v, want one ok", batched)
			}
			n.waitMsgs(1, 2, 5*time.Second)
			n.waitMsgs(0, 2, 5*time.Second)
			if got, want := n.data(0, "new_msg"), []any{"to both", "batched"}; !slices.Equal(got, want) {
				t.Errorf("%q got %q, want %q", odd[0], got, want)
			}
			if got, want := n.data(1, "new_msg"), []any{"to both", "to one"}; !slices.Equal(got, want) {
				t.Errorf("%q got %q, want %q", odd[1], got, want)
			}
			if tc.options == nil {
				return
			}
			wrong := map[string]any{"secret": "not-the-secret-at-all"}
			if tc.options["signature"] == true {
				wrong["signature"] = true
			}
			php.one(p.APIURL(), wrong, "publish", odd[0], "never").threw(t, failException, 401, "type=publish: HTTP 401: fail")
			php.one(p.APIURL(), nil, "publish", odd[0], "never").threw(t, failException, 401, "HTTP 401")
			php.one(p.APIURL(), wrong, "batch", []any{map[string]any{"to": odd[0], "content": "never"}}).threw(t, failException, 401, "batch: HTTP 401")
			time.Sleep(200 * time.Millisecond) // what a refused push would take to arrive
			if got := n.count(0, "new_msg"); got != 2 {
				t.Errorf("%q got %d messages, want 1: the refused pushes went out", odd[0], got)
			}
		})
	}
}

const (
	failException    = `Pushio\Exception\FailException`
	networkException = `Pushio\Exception\NetworkException`
	timeoutException = `Pushio\Exception\TimeoutException`
	answerException  = `Pushio\Exception\AnswerException`
)

// TestPHPClientErrors: each way a call can fail is its own exception
// that says what failed: pushio down (network), pushio not answering
// (timeout), an address not allowed (fail, 403), over the rate limit
// (fail, 429), an unknown type (fail, 200), another server's answer
// (answer), a URL that is not http(s) (refused before any request).
func TestPHPClientErrors(t *testing.T) {
	php := newPHPClient(t)

	down := e2etest.StartPushio(t)
	if err := down.Stop(); err != nil {
		t.Fatal(err)
	}
	php.one(down.APIURL(), nil, "publish", "a", "x").threw(t, networkException, 0, "type=publish: POST "+down.APIURL())

	stopped := e2etest.StartPushio(t)
	if err := stopped.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	r := php.one(stopped.APIURL(), map[string]any{"timeout": 0.5}, "count")
	took := time.Since(began)
	if err := stopped.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	r.threw(t, timeoutException, 0, "type=count")
	if took > 10*time.Second {
		t.Errorf("the timeout of 0.5s took %s", took)
	}

	p := e2etest.StartPushio(t, "--api.allow", "192.0.2.0/24")
	php.one(p.APIURL(), nil, "count").threw(t, failException, 403, "type=count: HTTP 403: fail")

	limited := e2etest.StartPushio(t, "--api.rate_limit", "1", "--api.rate_burst", "1")
	rs := php.run(limited.APIURL(), nil, phpDo("count"), phpDo("count"))
	answerOf[struct{ UIDs, Pages int }](t, rs[0])
	rs[1].threw(t, failException, 429, "type=count: HTTP 429: fail")

	open := e2etest.StartPushio(t)
	php.one(open.APIURL(), nil, "call", map[string]any{"type": "no-such-type"}).threw(t, failException, 200, "type=no-such-type: HTTP 200: fail")
	php.one(open.IOURL(), nil, "count").threw(t, answerException, 0, "type=count: unexpected answer")
	php.one("ftp://"+open.APIAddr, nil, "count").threw(t, `InvalidArgumentException`, 0, "want http://host:port")
}

// TestPHPClientLoginToken: a page logs in with the JWT loginToken made
// (auth.secret) and gets the pushes of its uid; a token for another uid
// is refused.
func TestPHPClientLoginToken(t *testing.T) {
	const authSecret = "login-secret-of-the-php-test"
	php := newPHPClient(t)
	p := e2etest.StartPushio(t, "--auth.secret", authSecret)
	opts := map[string]any{"auth_secret": authSecret}
	rs := php.run(p.APIURL(), opts, phpDo("loginToken", "carol", 60), phpDo("loginToken", "mallory", 60))
	var good, other string
	rs[0].answer(t, &good)
	rs[1].answer(t, &other)
	n := startClients(t, p.IOURL(),
		clientSpec{Version: "sio4", UID: "carol", Logins: [][]any{{"carol", good}}},
		clientSpec{Version: "sio2", Logins: [][]any{{"carol", other}}},
	)
	n.wait(15*time.Second, "carol's login and mallory's refusal", func(es []event) bool {
		return slices.ContainsFunc(es, func(e event) bool { return e.C == 0 && e.Ev == "ready" }) &&
			slices.ContainsFunc(es, func(e event) bool { return e.C == 1 && e.Ev == "login_error" })
	})
	if e, _ := n.last(1, "login_error"); e.Data != "token is for another uid" {
		t.Errorf("mallory's token for carol: login_error %v", e.Data)
	}
	var got phpPresence
	php.one(p.APIURL(), nil, "publish", "carol", "signed in").answer(t, &got)
	if got.Result != "ok" || !slices.Equal(got.Online, []string{"carol"}) {
		t.Errorf("publish to carol answered %+v, want ok: one page logged in", got)
	}
	n.waitMsgs(0, 1, 5*time.Second)
	php.one(p.APIURL(), nil, "loginToken", "carol", 60).threw(t, `InvalidArgumentException`, 0, "auth_secret")
}

// TestPHPClientSyntax: every file of clients/php passes php -l, and uses
// no syntax newer than PHP 7.4 (testdata/php74.php: match, enum,
// readonly, ?->, attributes, named arguments, promoted parameters, union
// and PHP 8 types), so the client runs on the PHP it says it needs; its
// composer.json passes composer validate.
func TestPHPClientSyntax(t *testing.T) {
	php := newPHPClient(t)
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(filepath.Join(root, "clients", "php"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".php") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) < 2 {
		t.Fatalf("clients/php holds %d PHP files (%v)", len(files), err)
	}
	for _, f := range files {
		if out, err := exec.Command(php.php, "-l", f).CombinedOutput(); err != nil {
			t.Errorf("php -l %s: %v\n%s", f, err, out)
		}
	}
	if out, err := exec.Command(php.php, append([]string{"testdata/php74.php", php.autoload}, files...)...).CombinedOutput(); err != nil {
		t.Errorf("testdata/php74.php: %v\n%s", err, out)
	}
	validate := exec.Command(need.Program(t, "composer"), "validate", "--no-check-publish", "--no-interaction")
	validate.Dir = filepath.Join(root, "clients", "php")
	validate.Env = append(os.Environ(), "COMPOSER_HOME="+t.TempDir(), "COMPOSER_ALLOW_SUPERUSER=1")
	if out, err := validate.CombinedOutput(); err != nil {
		t.Errorf("composer validate clients/php/composer.json: %v\n%s", err, out)
	}
}

// TestPHPClientReadme runs the PHP client's examples of README.md (both
// blocks, GatewayClient's calls included) and of clients/php/README.md,
// as written (the URL and the page's client id aside), against a pushio
// with signed requests: the pages get every push they make, the kick
// closes its page.
func TestPHPClientReadme(t *testing.T) {
	const secret = "api-secret-of-the-readme-test"
	php := newPHPClient(t)
	for _, doc := range []struct {
		path, heading string
		blocks        int
	}{
		{"README.md", "### The PHP client", 2},
		{"clients/php/README.md", "## Use", 1},
	} {
		t.Run(doc.path, func(t *testing.T) {
			p := e2etest.StartPushio(t, "--api.secret", secret, "--api.signature")
			events := []string{"order_paid", "chat", "stats", "logout"}
			n := startClients(t, p.IOURL(),
				clientSpec{Version: "sio2", UID: "alice", Events: events},
				clientSpec{Version: "sio4", Transports: []string{"websocket"}, UID: "bob", Events: events},
			)
			n.waitLine("all_ready", 15*time.Second)
			code := readmeBlock(t, doc.path, doc.heading, "php", 0)
			if doc.blocks == 2 {
				id, _ := n.data(0, "id")[0].(string)
				code += "$_POST['client_id'] = '" + id + "';\n" + readmeBlock(t, doc.path, doc.heading, "php", 1)
			}
			if !strings.Contains(code, "http://127.0.0.1:2121") {
				t.Fatalf("the example calls no http://127.0.0.1:2121:\n%s", code)
			}
			php.script(strings.ReplaceAll(code, "http://127.0.0.1:2121", p.APIURL()),
				"PUSHIO_API_SECRET="+secret, "PUSHIO_AUTH_SECRET=auth-secret-of-the-readme-test")
			alice, bob := []any{"hello", "hi", "to everyone"}, []any{"hi", "to everyone"}
			if doc.blocks == 1 {
				n.waitMsgs(0, 3, 5*time.Second)
				n.waitMsgs(1, 2, 5*time.Second)
			} else {
				alice = append(alice, "one")
				n.wait(5*time.Second, "every push and the kick", func(es []event) bool {
					return len(payloads(es, 0, "new_msg")) == 4 && len(payloads(es, 0, "stats")) == 1 &&
						len(payloads(es, 1, "stats")) == 1 && len(payloads(es, 1, "disconnect")) == 1
				})
				stats := []any{map[string]any{"n": 1.0}}
				for c, want := range map[string][]any{
					"order_paid": {map[string]any{"order": 7.0}}, "chat": nil, "stats": stats,
				} {
					if got := n.data(0, c); !reflect.DeepEqual(got, want) {
						t.Errorf("alice got %s %#v, want %#v", c, got, want)
					}
				}
				for c, want := range map[string][]any{
					"order_paid": nil, "chat": {"hello room"}, "stats": stats, "logout": {"signed in elsewhere"},
				} {
					if got := n.data(1, c); !reflect.DeepEqual(got, want) {
						t.Errorf("bob got %s %#v, want %#v", c, got, want)
					}
				}
			}
			if got := n.data(0, "new_msg"); !slices.Equal(got, alice) {
				t.Errorf("alice got %q, want %q", got, alice)
			}
			if got := n.data(1, "new_msg"); !slices.Equal(got, bob) {
				t.Errorf("bob got %q, want %q", got, bob)
			}
		})
	}
}

// gatewayPages are the pages of the GatewayWorker-style tests: two of
// dana (1.x over websocket, 2.x over polling), one of erin (4.x), a plain
// WebSocket page of erin; all print chat and logout events.
func gatewayPages(t *testing.T, url string) (*nodeClients, []string) {
	t.Helper()
	events := []string{"chat", "logout"}
	n := startClients(t, url,
		clientSpec{Version: "sio1", Transports: []string{"websocket"}, UID: "dana", Events: events},
		clientSpec{Version: "sio2", Transports: []string{"polling"}, UID: "dana", Events: events, Reconnect: true},
		clientSpec{Version: "sio4", UID: "erin", Events: events, Reconnect: true},
		clientSpec{Version: "ws", UID: "erin"},
	)
	n.waitLine("all_ready", 15*time.Second)
	ids := make([]string, 4)
	for i := range ids {
		ev := "id"
		if i == 3 {
			ev = "welcome"
		}
		id, _ := n.data(i, ev)[0].(string)
		if id == "" {
			t.Fatalf("page %d printed no client id:\n%s", i, n.dump())
		}
		ids[i] = id
	}
	return n, ids
}

// phpClients is the answer of type=clients.
type phpClients struct {
	Clients []string `json:"clients"`
	Cursor  string   `json:"cursor"`
}

// phpReach is a JSON answer with the clients' state.
type phpReach struct {
	phpPresence
	Clients struct {
		Online  []string `json:"online"`
		Offline []string `json:"offline"`
	} `json:"clients"`
}

// TestPHPClientGateway: toClient reaches one page by the id it reads as
// socket.id (a plain page: its welcome), with JSON data arriving as an
// object under any event; exclude leaves a page out; a page named twice
// gets one copy; online and clients answer from client presence, paged.
func TestPHPClientGateway(t *testing.T) {
	php := newPHPClient(t)
	p := e2etest.StartPushio(t)
	n, ids := gatewayPages(t, p.IOURL())
	data := map[string]any{"order": 7.0, "items": []any{"a", "b"}, "paid": true}

	rs := php.run(p.APIURL(), nil,
		phpDo("toClient", ids[0], data, "chat"),
		phpDo("publish", "dana", "hi <b>", "chat", map[string]any{"exclude": ids[1]}),
		phpDo("toClient", []string{ids[3], "no-such-page"}, "to the ws page"),
		phpDo("publish", "erin", "once", nil, map[string]any{"client": []string{ids[2], ids[0]}}),
		phpDo("online", map[string]any{"client": []string{ids[1], "no-such-page"}}),
		phpDo("toClient", "no-such-page", "lost"),
	)
	var r phpReach
	r = answerOf[phpReach](t, rs[0])
	if r.Result != "ok" || !slices.Equal(r.Clients.Online, ids[:1]) || len(r.Clients.Offline) != 0 {
		t.Errorf("toClient answered %+v, want ok with %s online", r, ids[0])
	}
	r = answerOf[phpReach](t, rs[2])
	if r.Result != "ok" || !slices.Equal(r.Clients.Online, ids[3:4]) || !slices.Equal(r.Clients.Offline, []string{"no-such-page"}) {
		t.Errorf("toClient of two answered %+v", r)
	}
	r = answerOf[phpReach](t, rs[4])
	if r.Result != "online" || !slices.Equal(r.Clients.Online, ids[1:2]) || !slices.Equal(r.Clients.Offline, []string{"no-such-page"}) {
		t.Errorf("online by client answered %+v", r)
	}
	r = answerOf[phpReach](t, rs[5])
	if r.Result != "offline" {
		t.Errorf("toClient of no page answered %+v, want offline", r)
	}

	n.wait(5*time.Second, "every push", func(es []event) bool {
		return len(payloads(es, 0, "chat")) == 2 && len(payloads(es, 0, "new_msg")) == 1 &&
			len(payloads(es, 2, "new_msg")) == 1 && len(payloads(es, 3, "new_msg")) == 2
	})
	time.Sleep(200 * time.Millisecond) // anything sent twice or to the excluded page arrives by now
	if got := n.data(0, "chat"); len(got) != 2 || !reflect.DeepEqual(got[0], data) || got[1] != "hi &lt;b&gt;" {
		t.Errorf("page 0 got chat %#v, want the object %#v then the escaped text", got, data)
	}
	if got := n.data(1, "chat"); len(got) != 0 {
		t.Errorf("the excluded page got chat %q", got)
	}
	if got, want := n.data(0, "new_msg"), []any{"once"}; !slices.Equal(got, want) {
		t.Errorf("page 0, a target by client id, got %q, want %q", got, want)
	}
	if got, want := n.data(2, "new_msg"), []any{"once"}; !slices.Equal(got, want) {
		t.Errorf("page 2, a target by uid and by client id, got %q, want one copy %q", got, want)
	}
	if got, want := n.data(3, "new_msg"), []any{"to the ws page", "once"}; !slices.Equal(got, want) {
		t.Errorf("the ws page got %q, want %q", got, want)
	}

	rs = php.run(p.APIURL(), nil, phpDo("clients", "dana"), phpDo("clients", "dana", 1), phpDo("clients", "nobody"))
	var all, first, none phpClients
	rs[0].answer(t, &all)
	rs[1].answer(t, &first)
	rs[2].answer(t, &none)
	if got := slices.Sorted(slices.Values(all.Clients)); !slices.Equal(got, slices.Sorted(slices.Values(ids[:2]))) || all.Cursor != "" {
		t.Errorf("clients of dana answered %+v, want %q and no cursor", all, ids[:2])
	}
	if len(first.Clients) != 1 || first.Cursor == "" {
		t.Fatalf("clients of dana, limit 1, answered %+v, want one and a cursor", first)
	}
	var next phpClients
	php.one(p.APIURL(), nil, "clients", "dana", 1, first.Cursor).answer(t, &next)
	if got := append(first.Clients, next.Clients...); len(next.Clients) != 1 || next.Cursor != "" || !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(ids[:2]))) {
		t.Errorf("the second page of dana's clients answered %+v after %+v", next, first)
	}
	if len(none.Clients) != 0 || none.Cursor != "" {
		t.Errorf("clients of nobody answered %+v, want none", none)
	}
}

// TestPHPClientKick: kick by client id sends its message first, then
// disconnects that page only, which does not reconnect; kick by uid
// closes every page of the uid (a plain WebSocket page with 1000); a
// kick of nobody online answers offline.
func TestPHPClientKick(t *testing.T) {
	php := newPHPClient(t)
	p := e2etest.StartPushio(t)
	n, ids := gatewayPages(t, p.IOURL())

	var r phpReach
	r = answerOf[phpReach](t, php.one(p.APIURL(), nil, "kick", map[string]any{"client": ids[1]}, "bye", "logout"))
	if r.Result != "ok" {
		t.Errorf("kick of page 1 answered %+v, want ok", r)
	}
	n.wait(5*time.Second, "page 1's disconnect", func(es []event) bool { return len(payloads(es, 1, "disconnect")) == 1 })
	if got := n.data(1, "logout"); !slices.Equal(got, []any{"bye"}) {
		t.Errorf("the kicked page got logout %q before its disconnect, want bye", got)
	}
	r = answerOf[phpReach](t, php.one(p.APIURL(), nil, "kick", map[string]any{"uid": "erin"}))
	if r.Result != "ok" || !slices.Equal(r.Online, []string{"erin"}) {
		t.Errorf("kick of erin answered %+v, want ok", r)
	}
	n.wait(5*time.Second, "erin's pages' disconnects", func(es []event) bool {
		return len(payloads(es, 2, "disconnect")) == 1 && len(payloads(es, 3, "disconnect")) == 1
	})
	r = answerOf[phpReach](t, php.one(p.APIURL(), nil, "kick", map[string]any{"uid": "nobody"}))
	if r.Result != "offline" {
		t.Errorf("kick of nobody answered %+v, want offline", r)
	}
	time.Sleep(1500 * time.Millisecond) // past client.js's reconnect delays
	for _, c := range []int{1, 2} {
		if got := n.count(c, "connect"); got != 1 {
			t.Errorf("kicked page %d connected %d times, want once: it reconnected", c, got)
		}
	}
	if got := n.data(1, "disconnect"); !slices.Equal(got, []any{"io server disconnect"}) {
		t.Errorf("page 1 disconnected with %q, want io server disconnect", got)
	}
	if got, _ := n.data(3, "disconnect")[0].(string); !strings.HasPrefix(got, "1000 ") {
		t.Errorf("the ws page closed with %q, want 1000", got)
	}
	if got := n.count(0, "disconnect"); got != 0 {
		t.Errorf("page 0, never kicked, disconnected")
	}
	var counts struct{ UIDs, Pages int }
	php.one(p.APIURL(), nil, "count").answer(t, &counts)
	if counts.UIDs != 1 || counts.Pages != 1 {
		t.Errorf("count after the kicks answered %+v, want dana's one page", counts)
	}
}

// TestPHPClientBatch: one batch of good and bad items: each good one
// reaches its pages (a kick item closes its page), each bad one is
// answered fail with its reason alone, in order; a batch over
// api.max_batch is the fail exception with 413 and sends nothing.
func TestPHPClientBatch(t *testing.T) {
	php := newPHPClient(t)
	p := e2etest.StartPushio(t, "--api.max_batch", "5")
	n, ids := gatewayPages(t, p.IOURL())
	rs := php.run(p.APIURL(), nil, phpDo("item", map[string]any{"client": ids[2]}, map[string]any{"n": 2.0}, "chat"))
	var made map[string]any
	rs[0].answer(t, &made)
	items := []any{
		map[string]any{"to": "dana", "content": "b1"},
		made,
		map[string]any{"to": "dana", "event": "connect", "content": "reserved"},
		map[string]any{"type": "kick", "client": []string{ids[3]}},
		map[string]any{"to": "nobody", "content": "x"},
	}
	rs = php.run(p.APIURL(), nil, phpDo("batch", items), phpDo("batch", append(items, items[0])))
	var answers []struct {
		phpReach
		Error string `json:"error"`
	}
	rs[0].answer(t, &answers)
	wantResults := []string{"ok", "ok", "fail", "ok", "offline"}
	if len(answers) != len(wantResults) {
		t.Fatalf("batch answered %d items, want %d: %s", len(answers), len(wantResults), rs[0].Answer)
	}
	for i, want := range wantResults {
		if answers[i].Result != want {
			t.Errorf("item %d answered %+v, want %s", i, answers[i], want)
		}
	}
	if !strings.Contains(answers[2].Error, "reserved") {
		t.Errorf("the reserved event's item failed with %q, want why", answers[2].Error)
	}
	rs[1].threw(t, failException, 413, "batch: HTTP 413: fail")

	n.wait(5*time.Second, "the batch's pushes", func(es []event) bool {
		return len(payloads(es, 0, "new_msg")) == 1 && len(payloads(es, 1, "new_msg")) == 1 &&
			len(payloads(es, 2, "chat")) == 1 && len(payloads(es, 3, "disconnect")) == 1
	})
	time.Sleep(200 * time.Millisecond) // a second copy, or the refused batch, arrives by now
	for c := range 2 {
		if got := n.data(c, "new_msg"); !slices.Equal(got, []any{"b1"}) {
			t.Errorf("page %d got %q, want b1 once", c, got)
		}
	}
	if got := n.data(2, "chat"); len(got) != 1 || !reflect.DeepEqual(got[0], map[string]any{"n": 2.0}) {
		t.Errorf("page 2 got chat %#v, want {n: 2}", got)
	}
	if got := n.count(2, "disconnect"); got != 0 {
		t.Errorf("page 2 was disconnected; only the ws page was kicked")
	}
}

// phpGroups is a JSON answer with the groups' state.
type phpGroups struct {
	phpReach
	Groups struct {
		Online  []string `json:"online"`
		Offline []string `json:"offline"`
	} `json:"groups"`
}

// phpUIDs is the answer of type=uids.
type phpUIDs struct {
	UIDs   []string `json:"uids"`
	Cursor string   `json:"cursor"`
}

// TestPHPClientGroups (a group named "room,1": a list of one, commas and
// all, in every call): with signed logins, a page whose loginToken
// carries groups is in them; join by uid (pages open now and later) and
// by client id, toGroup (with exclude, and in a batch), online, count and
// uids of a group, leave and ungroup, each checked on the pages; a join
// past groups.max_per_uid is the fail exception with 409 and changes
// nothing, a bad group name one with 400.
func TestPHPClientGroups(t *testing.T) {
	const authSecret = "login-secret-of-the-groups-test"
	php := newPHPClient(t)
	p := e2etest.StartPushio(t, "--auth.secret", authSecret, "--groups.max_per_uid", "3")
	opts := map[string]any{"auth_secret": authSecret}
	tokens := php.run(p.APIURL(), opts,
		phpDo("loginToken", "gina", 60, []string{"vip"}),
		phpDo("loginToken", "hal", 60),
		phpDo("loginToken", "ivy", 60),
		phpDo("loginToken", "kim", 60),
	)
	tok := make([]string, len(tokens))
	for i, r := range tokens {
		r.answer(t, &tok[i])
	}
	events := []string{"chat"}
	n := startClients(t, p.IOURL(),
		clientSpec{Version: "sio1", Transports: []string{"websocket"}, UID: "gina", Logins: [][]any{{"gina", tok[0]}}, Events: events},
		clientSpec{Version: "sio2", Transports: []string{"polling"}, UID: "hal", Logins: [][]any{{"hal", tok[1]}}, Events: events},
		clientSpec{Version: "sio4", UID: "hal", Logins: [][]any{{"hal", tok[1]}}, Events: events},
		clientSpec{Version: "ws", UID: "ivy", Token: tok[2]},
	)
	n.waitLine("all_ready", 15*time.Second)
	ids := []string{}
	for c := range 3 {
		id, _ := n.data(c, "id")[0].(string)
		ids = append(ids, id)
	}
	ws, _ := n.data(3, "welcome")[0].(string)
	ids = append(ids, ws)

	rs := php.run(p.APIURL(), nil,
		phpDo("join", "room,1", map[string]any{"uid": "hal"}),
		phpDo("join", []string{"room,1"}, map[string]any{"client": ids[3]}),
		phpDo("join", "late", map[string]any{"uid": "kim"}),
		phpDo("toGroup", "room,1", map[string]any{"x": 1.0}, "chat"),
		phpDo("toGroup", "vip", "to the vips"),
		phpDo("online", map[string]any{"group": "room,1"}),
		phpDo("online", map[string]any{"group": "nobody-here"}),
		phpDo("count", "room,1"),
		phpDo("uids", "room,1"),
		phpDo("toGroup", "room,1", "not to page 1", nil, map[string]any{"exclude": ids[1]}),
		phpDo("batch", []any{map[string]any{"group": "vip", "content": "batched to the vips"}}),
	)
	g := answerOf[phpGroups](t, rs[1])
	if g.Result != "ok" || !slices.Equal(g.Clients.Online, ids[3:]) {
		t.Errorf("join by client answered %+v", g)
	}
	g = answerOf[phpGroups](t, rs[3])
	if g.Result != "ok" || !slices.Equal(g.Groups.Online, []string{"room,1"}) {
		t.Errorf("toGroup room answered %+v", g)
	}
	g = answerOf[phpGroups](t, rs[5])
	if g.Result != "online" {
		t.Errorf("online of group room answered %+v", g)
	}
	g = answerOf[phpGroups](t, rs[6])
	if g.Result != "offline" || !slices.Equal(g.Groups.Offline, []string{"nobody-here"}) {
		t.Errorf("online of an empty group answered %+v", g)
	}
	var counts struct{ UIDs, Pages int }
	rs[7].answer(t, &counts)
	if counts.UIDs != 2 || counts.Pages != 3 {
		t.Errorf("count of room answered %+v, want hal's 2 pages and ivy's", counts)
	}
	var members phpUIDs
	rs[8].answer(t, &members)
	if got := slices.Sorted(slices.Values(members.UIDs)); !slices.Equal(got, []string{"hal", "ivy"}) || members.Cursor != "" {
		t.Errorf("uids of room answered %+v", members)
	}
	n.wait(5*time.Second, "the group pushes", func(es []event) bool {
		return len(payloads(es, 0, "new_msg")) == 2 && len(payloads(es, 1, "chat")) == 1 &&
			len(payloads(es, 2, "new_msg")) == 1 && len(payloads(es, 3, "new_msg")) == 1 && len(payloads(es, 3, "chat")) == 1
	})
	time.Sleep(200 * time.Millisecond)
	if got, want := n.data(0, "new_msg"), []any{"to the vips", "batched to the vips"}; !slices.Equal(got, want) {
		t.Errorf("gina (vip by her token) got %q, want %q", got, want)
	}
	if got := n.data(0, "chat"); len(got) != 0 {
		t.Errorf("gina, not in room, got %q", got)
	}
	for c := 1; c <= 3; c++ {
		if got := n.data(c, "chat"); len(got) != 1 || !reflect.DeepEqual(got[0], map[string]any{"x": 1.0}) {
			t.Errorf("page %d got chat %#v, want {x: 1}", c, got)
		}
	}
	if got := n.data(1, "new_msg"); len(got) != 0 {
		t.Errorf("page 1, excluded, got %q", got)
	}

	// kim joined "late" before any page of hers was open.
	late := startClients(t, p.IOURL(), clientSpec{Version: "sio4", Transports: []string{"websocket"}, UID: "kim", Logins: [][]any{{"kim", tok[3]}}})
	late.waitLine("all_ready", 15*time.Second)
	var pages phpUIDs
	php.one(p.APIURL(), nil, "uids", nil, 2).answer(t, &pages)
	var rest phpUIDs
	php.one(p.APIURL(), nil, "uids", nil, 10, pages.Cursor).answer(t, &rest)
	if got := slices.Sorted(slices.Values(append(pages.UIDs, rest.UIDs...))); len(pages.UIDs) != 2 || pages.Cursor == "" || rest.Cursor != "" ||
		!slices.Equal(got, []string{"gina", "hal", "ivy", "kim"}) {
		t.Errorf("uids in two parts answered %+v then %+v", pages, rest)
	}
	rs = php.run(p.APIURL(), nil,
		phpDo("toGroup", "late", "to kim"),
		phpDo("leave", "room,1", map[string]any{"uid": "hal"}),
		phpDo("toGroup", "room,1", "after hal left"),
		phpDo("ungroup", "room,1"),
		phpDo("toGroup", "room,1", "after the ungroup"),
		phpDo("join", []string{"a", "b", "c", "d"}, map[string]any{"uid": "gina"}),
		phpDo("toGroup", "a", "never"),
		phpDo("join", "\x1dbad", map[string]any{"uid": "gina"}),
	)
	g = answerOf[phpGroups](t, rs[4])
	if g.Result != "offline" {
		t.Errorf("toGroup after ungroup answered %+v, want offline", g)
	}
	rs[5].threw(t, failException, 409, "type=join: HTTP 409: fail")
	g = answerOf[phpGroups](t, rs[6])
	if g.Result != "offline" {
		t.Errorf("toGroup a after the refused join answered %+v, want offline: the join changed something", g)
	}
	rs[7].threw(t, failException, 400, "type=join: HTTP 400")
	late.waitMsgs(0, 1, 5*time.Second)
	n.waitMsgs(3, 2, 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	if got, want := late.data(0, "new_msg"), []any{"to kim"}; !slices.Equal(got, want) {
		t.Errorf("kim, joined by uid before she logged in, got %q, want %q", got, want)
	}
	if got, want := n.data(3, "new_msg"), []any{"not to page 1", "after hal left"}; !slices.Equal(got, want) {
		t.Errorf("ivy's page got %q, want %q", got, want)
	}
	for c := range 3 {
		if got := n.data(c, "new_msg"); slices.Contains(got, any("after hal left")) || slices.Contains(got, any("after the ungroup")) || slices.Contains(got, any("never")) {
			t.Errorf("page %d got %q after it left", c, got)
		}
	}
}

// TestPHPClientCluster: three instances on one Redis, a page on each, the
// PHP client calling the API through the shipped nginx config (so its
// calls land on any instance): joins, a group push, a push by client id,
// a group's count, a batch with a kick item and a kick with logout reach
// the pages on every instance.
func TestPHPClientCluster(t *testing.T) {
	e2etest.NeedNode(t)
	nginx := need.Program(t, "nginx")
	php := newPHPClient(t)
	redis := redistest.Start(t)
	nodes := startNodes(t, 3, "--redis.url", redis.URL(), "--redis.prefix", redistest.Prefix(t))
	_, apiURL := startNginx(t, nginx, "pushio.conf", nodes)
	events := []string{"chat", "logout"}
	uids := []string{"una", "vic", "vic"}
	pages := make([]*nodeClients, 3)
	ids := make([]string, 3)
	for i, node := range nodes {
		pages[i] = startClients(t, node.IOURL(), clientSpec{Version: versions[i+1], UID: uids[i], Events: events})
		pages[i].waitLine("all_ready", 15*time.Second)
		ids[i], _ = pages[i].data(0, "id")[0].(string)
	}

	rs := php.run(apiURL, nil,
		phpDo("join", "team", map[string]any{"uid": "una"}),
		phpDo("join", "team", map[string]any{"client": ids[2]}),
		phpDo("toGroup", "team", map[string]any{"from": "php"}, "chat"),
		phpDo("count", "team"),
		phpDo("toClient", ids[1], "to page 1"),
		phpDo("online", map[string]any{"client": ids}),
		phpDo("batch", []any{map[string]any{"to": "vic", "content": "batched"}, map[string]any{"type": "kick", "client": ids[2]}}),
	)
	if r := answerOf[phpReach](t, rs[1]); r.Result != "ok" || !slices.Equal(r.Clients.Online, ids[2:]) {
		t.Errorf("join of page 2 on another instance answered %+v", r)
	}
	if c := answerOf[struct{ UIDs, Pages int }](t, rs[3]); c.UIDs != 2 || c.Pages != 2 {
		t.Errorf("count of team answered %+v, want una's page and page 2", c)
	}
	if r := answerOf[phpReach](t, rs[5]); r.Result != "online" || !slices.Equal(r.Clients.Online, ids) {
		t.Errorf("online of the three pages answered %+v", r)
	}
	answers := answerOf[[]phpPresence](t, rs[6])
	if len(answers) != 2 || answers[0].Result != "ok" || answers[1].Result != "ok" {
		t.Errorf("batch answered %+v, want ok, ok", answers)
	}
	pages[2].wait(5*time.Second, "page 2's kick", func(es []event) bool { return len(payloads(es, 0, "disconnect")) == 1 })
	if r := answerOf[phpReach](t, php.one(apiURL, nil, "kick", map[string]any{"uid": "una"}, "bye", "logout")); r.Result != "ok" {
		t.Errorf("kick of una answered %+v", r)
	}
	pages[0].wait(5*time.Second, "una's kick", func(es []event) bool { return len(payloads(es, 0, "disconnect")) == 1 })
	pages[1].waitMsgs(0, 2, 5*time.Second)
	time.Sleep(200 * time.Millisecond) // anything sent twice arrives by now

	chat := []any{map[string]any{"from": "php"}}
	for i, want := range []struct {
		chat, msgs, logout []any
	}{
		{chat, nil, []any{"bye"}},
		{nil, []any{"to page 1", "batched"}, nil},
		{chat, []any{"batched"}, nil},
	} {
		n := pages[i]
		if got := n.data(0, "chat"); !reflect.DeepEqual(got, want.chat) {
			t.Errorf("page %d got chat %#v, want %#v", i, got, want.chat)
		}
		if got := n.data(0, "new_msg"); !slices.Equal(got, want.msgs) {
			t.Errorf("page %d got %q, want %q", i, got, want.msgs)
		}
		if got := n.data(0, "logout"); !slices.Equal(got, want.logout) {
			t.Errorf("page %d got logout %q, want %q", i, got, want.logout)
		}
	}
	if got := pages[1].count(0, "disconnect"); got != 0 {
		t.Errorf("page 1, never kicked, disconnected")
	}
}
