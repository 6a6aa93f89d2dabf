package e2e

import (
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/harness"
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
	p := startPushio(t)
	n := startClients(t, p.IOURL(),
		clientSpec{Version: "sio2", Transports: []string{"polling"}, UID: "alice"},
		clientSpec{Version: "sio4", Transports: []string{"websocket"}, UID: "bob"},
	)
	n.waitLine("all_ready", 15*time.Second)

	rs := php.run(p.APIURL(), nil,
		phpDo("publish", "alice", richContent),
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
	if got, want := n.data(0, "new_msg"), []any{richEscaped, "both", "everyone"}; !slices.Equal(got, want) {
		t.Errorf("alice got %q, want %q", got, want)
	}
	if got, want := n.data(1, "new_msg"), []any{"both", "everyone"}; !slices.Equal(got, want) {
		t.Errorf("bob got %q, want %q", got, want)
	}
}

// TestPHPClientAccess: with the API open, with api.secret (sent as a
// bearer header) and with api.signature (each request signed), a publish
// to uids whose names need encoding (a comma, &, =, +, %, spaces, UTF-8)
// reaches their pages; a wrong secret is the fail exception with 401.
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
			p := startPushio(t, tc.flags...)
			n := startClients(t, p.IOURL(),
				clientSpec{Version: "sio1", Transports: []string{"websocket"}, UID: odd[0]},
				clientSpec{Version: "sio4", UID: odd[1]},
			)
			n.waitLine("all_ready", 15*time.Second)
			rs := php.run(p.APIURL(), tc.options,
				phpDo("publish", odd, "to both"),
				phpDo("publish", odd[1], "to one"),
				phpDo("online", map[string]any{"uid": odd[0]}),
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
			n.waitMsgs(1, 2, 5*time.Second)
			n.waitMsgs(0, 1, 5*time.Second)
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
			time.Sleep(200 * time.Millisecond) // what a refused push would take to arrive
			if got := n.count(0, "new_msg"); got != 1 {
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
// (timeout), an address not allowed (fail, 403), an unknown type (fail,
// 200), another server's answer (answer).
func TestPHPClientErrors(t *testing.T) {
	php := newPHPClient(t)

	down := startPushio(t)
	if err := down.Stop(); err != nil {
		t.Fatal(err)
	}
	php.one(down.APIURL(), nil, "publish", "a", "x").threw(t, networkException, 0, "type=publish: POST "+down.APIURL())

	stopped := startPushio(t)
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

	p := startPushio(t, "--api.allow", "192.0.2.0/24")
	php.one(p.APIURL(), nil, "count").threw(t, failException, 403, "type=count: HTTP 403: fail")

	open := startPushio(t)
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
	p := startPushio(t, "--auth.secret", authSecret)
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
// and PHP 8 types), so the client runs on the PHP it says it needs.
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
}

// TestPHPClientReadme runs the PHP client's examples of README.md and of
// clients/php/README.md, as written (the URL aside), against a pushio
// with signed requests: the pages get every push they make.
func TestPHPClientReadme(t *testing.T) {
	const secret = "api-secret-of-the-readme-test"
	php := newPHPClient(t)
	for _, doc := range []struct{ path, heading string }{
		{"README.md", "### The PHP client"},
		{"clients/php/README.md", "## Use"},
	} {
		t.Run(doc.path, func(t *testing.T) {
			p := startPushio(t, "--api.secret", secret, "--api.signature")
			n := startClients(t, p.IOURL(),
				clientSpec{Version: "sio2", UID: "alice"},
				clientSpec{Version: "sio4", Transports: []string{"websocket"}, UID: "bob"},
			)
			n.waitLine("all_ready", 15*time.Second)
			code := readmeBlock(t, doc.path, doc.heading, "php", 0)
			if !strings.Contains(code, "http://127.0.0.1:2121") {
				t.Fatalf("the example calls no http://127.0.0.1:2121:\n%s", code)
			}
			php.script(strings.ReplaceAll(code, "http://127.0.0.1:2121", p.APIURL()),
				"PUSHIO_API_SECRET="+secret, "PUSHIO_AUTH_SECRET=auth-secret-of-the-readme-test")
			n.waitMsgs(0, 3, 5*time.Second)
			n.waitMsgs(1, 2, 5*time.Second)
			if got, want := n.data(0, "new_msg"), []any{"hello", "hi", "to everyone"}; !slices.Equal(got, want) {
				t.Errorf("alice got %q, want %q", got, want)
			}
			if got, want := n.data(1, "new_msg"), []any{"hi", "to everyone"}; !slices.Equal(got, want) {
				t.Errorf("bob got %q, want %q", got, want)
			}
		})
	}
}
