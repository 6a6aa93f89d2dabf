package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/harness"
)

const (
	cliAuthSecret = "login-secret-for-the-cli-test"
	cliAPISecret  = "api-secret-for-the-cli-test"
)

// pushioCommand runs `pushio args…` as an operator would, in an empty
// directory with env added to the test's environment, and returns its
// stdout, stderr and exit status.
func pushioCommand(t testing.TB, env []string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binary(), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(cmd.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatalf("pushio %q: %v", args, err)
	}
	return strings.TrimSuffix(out.String(), "\n"), errOut.String(), status
}

// cliOutput runs `pushio args…` and returns its one line of output.
func cliOutput(t testing.TB, env []string, args ...string) string {
	t.Helper()
	out, errOut, status := pushioCommand(t, env, args...)
	if status != 0 || out == "" || strings.Contains(out, "\n") {
		t.Fatalf("pushio %q: status %d, stdout %q, stderr %q; want one line", args, status, out, errOut)
	}
	return out
}

// signEnv is the API's configuration for pushio sign, from the environment.
var signEnv = []string{"PUSHIO_API_SECRET=" + cliAPISecret, "PUSHIO_API_SIGNATURE=true"}

// signedGet sends the request pushio sign makes of query as a GET.
func signedGet(t testing.TB, apiURL, query string) (int, string) {
	t.Helper()
	return e2etest.Call(t, http.MethodGet, apiURL+"/?"+cliOutput(t, signEnv, "sign", query), "", "")
}

// TestCLITokenAndSign: against an instance with signed logins and signed
// API requests, a socket.io client logs in with what `pushio token`
// printed and one with a token of another secret is refused; what `pushio
// sign` printed is answered ok (GET and POST) or offline, and only once.
func TestCLITokenAndSign(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t, "--auth.secret", cliAuthSecret, "--api.secret", cliAPISecret, "--api.signature")

	good := cliOutput(t, []string{"PUSHIO_AUTH_SECRET=" + cliAuthSecret}, "token", "--uid", "alice", "--ttl", "10m", "--groups", "staff")
	bad := cliOutput(t, nil, "token", "--uid", "mallory", "--auth.secret", "another-secret-of-16-bytes")
	c := startClients(t, p.IOURL(),
		clientSpec{Version: "sio4", Logins: [][]any{{"alice", good}}},
		clientSpec{Version: "sio1", Logins: [][]any{{"mallory", bad}}},
	)
	c.wait(15*time.Second, "login_error for mallory", func(es []event) bool {
		return len(payloads(es, 1, "login_error")) > 0
	})
	if got := c.data(1, "login_error"); len(got) != 1 || got[0] != "bad token" {
		t.Errorf("mallory's login_error = %v, want [bad token]", got)
	}
	eventually.True(t, 10*time.Second, "alice online", func() bool {
		_, body := signedGet(t, p.APIURL(), "type=online&uid=alice")
		return body == "online"
	})
	if got := c.count(0, "login_error"); got != 0 {
		t.Errorf("alice got %d login_error, want none", got)
	}

	// GET: ok to alice, offline to mallory; the same query again is a replay.
	q := cliOutput(t, signEnv, "sign", "type=publish&to=alice&content=by GET")
	if status, body := e2etest.Call(t, http.MethodGet, p.APIURL()+"/?"+q, "", ""); status != http.StatusOK || body != "ok" {
		t.Fatalf("signed GET: %d %q, want 200 ok", status, body)
	}
	if status, body := e2etest.Call(t, http.MethodGet, p.APIURL()+"/?"+q, "", ""); status != http.StatusUnauthorized || body != "fail" {
		t.Errorf("replayed signed GET: %d %q, want 401 fail", status, body)
	}
	if status, body := signedGet(t, p.APIURL(), "type=publish&to=mallory&content=x"); status != http.StatusOK || body != "offline" {
		t.Errorf("signed GET to mallory: %d %q, want 200 offline", status, body)
	}
	// POST, as an urlencoded body, to another path.
	body := cliOutput(t, signEnv, "sign", "--method", "POST", "--path", "/push", "type=publish&to[]=alice&to[]=mallory&content=by POST %26 <b>")
	if status, got := e2etest.Call(t, http.MethodPost, p.APIURL()+"/push", "application/x-www-form-urlencoded", body); status != http.StatusOK || got != "ok" {
		t.Fatalf("signed POST: %d %q, want 200 ok", status, got)
	}
	c.waitMsgs(0, 2, 10*time.Second)
	if got := c.data(0, "new_msg"); len(got) != 2 || got[0] != "by GET" || got[1] != "by POST &amp; &lt;b&gt;" {
		t.Errorf("alice's new_msg = %q, want [by GET, by POST &amp; &lt;b&gt;]", got)
	}
	if got := c.count(1, "new_msg"); got != 0 {
		t.Errorf("mallory got %d new_msg, want none", got)
	}
	// Signed with another secret: refused.
	other := cliOutput(t, []string{"PUSHIO_API_SECRET=another-api-secret-16", "PUSHIO_API_SIGNATURE=true"}, "sign", "type=publish&to=alice&content=x")
	if status, got := e2etest.Call(t, http.MethodGet, p.APIURL()+"/?"+other, "", ""); status != http.StatusUnauthorized {
		t.Errorf("GET signed with another secret: %d %q, want 401", status, got)
	}
}

// TestCLIRefusals: the built binary's commands exit with status 2 and say
// why when the secret is missing or the arguments are wrong, printing
// nothing on stdout; --help lists the commands.
func TestCLIRefusals(t *testing.T) {
	t.Parallel()
	auth := "--auth.secret=" + cliAuthSecret
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"token without auth.secret", []string{"token", "--uid", "alice"}, "pushio: token: auth.secret is not set"},
		{"token without uid", []string{"token", auth}, "pushio: token: --uid is required"},
		{"token stray argument", []string{"token", auth, "--uid", "alice", "bob"}, `pushio: token: unexpected argument "bob"`},
		{"token ttl not a duration", []string{"token", auth, "--uid", "alice", "--ttl", "soon"}, `invalid argument "soon" for "--ttl" flag`},
		{"sign without api.secret", []string{"sign", "type=count"}, "pushio: sign: api.secret is not set"},
		{"sign without a request", []string{"sign", "--api.secret", cliAPISecret, "--api.signature"}, "pushio: sign: no request given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, status := pushioCommand(t, nil, tt.args...)
			if status != 2 || out != "" || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("pushio %q: status %d, stdout %q, stderr %q; want status 2, no output, an error containing %q",
					tt.args, status, out, errOut, tt.wantErr)
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		t.Parallel()
		_, errOut, status := pushioCommand(t, nil, "--help")
		if status != 0 || !strings.Contains(errOut, "pushio token --uid U") || !strings.Contains(errOut, "pushio sign ") {
			t.Errorf("pushio --help: status %d, stderr %q; want 0 and the commands", status, errOut)
		}
	})
}
