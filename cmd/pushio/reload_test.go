package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/eiotest"
)

// TestSIGHUPReloadsAPIAccess changes api.secret and api.rate_limit in the
// config file and sends SIGHUP: the old secret is refused from then on,
// the new one publishes, the client connected before stays connected and
// receives, and neither secret appears in the log.
func TestSIGHUPReloadsAPIAccess(t *testing.T) {
	const secretA, secretB = "secret-A-0123456789abcdef", "secret-B-0123456789abcdef"
	conf := func(secret string, rate int) string {
		return fmt.Sprintf("api:\n  secret: %s\n  rate_limit: %d\n", secret, rate)
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", conf(secretA, 0))
	c := startChild(t, path)
	alice := loginClient(t, c, "alice", eiotest.Options{})

	publish := func(secret, content string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, c.apiURL+"/?type=publish&to=alice&content="+content, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusOK && string(body) != "ok" {
			t.Fatalf("publish with a good secret answered %q", body)
		}
		return resp.StatusCode
	}
	received := func(content string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ev, err := alice.NextNamed(ctx, "new_msg")
		if err != nil || string(ev.Args[0]) != `"`+content+`"` {
			t.Fatalf("alice: %v %v, want new_msg %q", ev, err, content)
		}
	}

	if code := publish(secretA, "before"); code != http.StatusOK {
		t.Fatalf("secret A before the reload: %d, want 200", code)
	}
	received("before")
	if code := publish(secretB, "early"); code != http.StatusUnauthorized {
		t.Fatalf("secret B before the reload: %d, want 401", code)
	}

	writeFile(t, dir, "config.yaml", conf(secretB, 1000))
	c.signal(t, syscall.SIGHUP)
	reloaded := c.waitLog(t, "reloaded", 10*time.Second)
	changed, _ := reloaded["changed"].([]any)
	restart, _ := reloaded["needs_restart"].([]any)
	if !slices.Equal(changed, []any{"api.rate_limit", "api.secret"}) || len(restart) != 0 {
		t.Fatalf("reload changed %v and left %v for a restart, want [api.rate_limit api.secret] and []",
			reloaded["changed"], reloaded["needs_restart"])
	}

	if code := publish(secretA, "stale"); code != http.StatusUnauthorized {
		t.Fatalf("secret A after the reload: %d, want 401", code)
	}
	if code := publish(secretB, "after"); code != http.StatusOK {
		t.Fatalf("secret B after the reload: %d, want 200", code)
	}
	received("after") // alice stayed connected, and got nothing refused

	for _, l := range c.log() {
		if s := fmt.Sprint(l); strings.Contains(s, secretA) || strings.Contains(s, secretB) {
			t.Errorf("a secret is in the log: %s", s)
		}
	}
}

// TestSIGHUPReloadsDemoAPIAuth: /demo.json tells the demo page whether the
// API wants api.secret or a signature, from start-up and after a SIGHUP
// that turns them on, and never carries the secret itself.
func TestSIGHUPReloadsDemoAPIAuth(t *testing.T) {
	const secret = "demo-secret-0123456789abcdef"
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", "io:\n  demo: true\n")
	c := startChild(t, path)
	client := &http.Client{Timeout: 10 * time.Second}
	demo := func(want string) {
		t.Helper()
		code, body := get(t, client, c.ioURL+"/demo.json")
		if code != http.StatusOK || !strings.Contains(body, want) || strings.Contains(body, secret) {
			t.Fatalf("GET /demo.json: %d %s, want %s and no secret", code, body, want)
		}
	}
	demo(`"api_secret":false,"api_signature":false`)

	writeFile(t, dir, "config.yaml", "io:\n  demo: true\napi:\n  secret: "+secret+"\n  signature: true\n")
	c.signal(t, syscall.SIGHUP)
	c.waitLog(t, "reloaded", 10*time.Second)
	demo(`"api_secret":true,"api_signature":true`)
}
