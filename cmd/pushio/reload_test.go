package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/config"
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
		req, err := http.NewRequest(http.MethodGet, c.APIURL()+"/?type=publish&to=alice&content="+content, nil)
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
	sendSignal(t, c, syscall.SIGHUP)
	reloaded := c.WaitLog(t, "reloaded", 10*time.Second)
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

	for _, l := range c.Lines() {
		if s := fmt.Sprint(l); strings.Contains(s, secretA) || strings.Contains(s, secretB) {
			t.Errorf("a secret is in the log: %s", s)
		}
	}
}

// TestReloadersOwnRealKeysNamedInREADME: every key a reloader owns is a
// config key (a typo would leave it waiting for a restart forever), owned
// once, and named in README's reload paragraph.
func TestReloadersOwnRealKeysNamedInREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, para, _ := strings.Cut(string(readme), "On **SIGHUP** pushio reads its configuration again")
	para, _, _ = strings.Cut(para, "\n\n")
	para = strings.Join(strings.Fields(para), " ")
	var a, b config.Config
	seen := map[string]bool{}
	for _, r := range reloaders {
		for _, key := range r.keys {
			if seen[key] {
				t.Errorf("%s is owned by two reloaders", key)
			}
			seen[key] = true
			if !setKey(&b, key) {
				t.Errorf("%s is not a config key", key)
			} else if got := config.Changed(&a, &b); !slices.Equal(got, []string{key}) {
				t.Errorf("changing %s changed %v", key, got)
			}
			b = config.Config{}
			name := strings.TrimPrefix(strings.TrimPrefix(key, "io."), "api.")
			if strings.HasSuffix(key, "tls_cert") || strings.HasSuffix(key, "tls_key") {
				name = "TLS certificate files"
			}
			if !strings.Contains(para, name) {
				t.Errorf("README's SIGHUP paragraph does not name %s", key)
			}
		}
	}
}

// setKey sets the field a dotted key names in c to a non-zero value; it
// reports whether the key names a field.
func setKey(c *config.Config, key string) bool {
	v := reflect.ValueOf(c).Elem()
	for _, part := range strings.Split(key, ".") {
		found := false
		for i := range v.NumField() {
			if v.Type().Field(i).Tag.Get("mapstructure") == part {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return false
		}
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Float64:
		v.SetFloat(7)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		e := reflect.New(v.Type().Elem()).Elem()
		if e.Kind() == reflect.String {
			e.SetString("x")
		}
		v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), e))
	default:
		return false
	}
	return true
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
		code, body := get(t, client, c.IOURL()+"/demo.json")
		if code != http.StatusOK || !strings.Contains(body, want) || strings.Contains(body, secret) {
			t.Fatalf("GET /demo.json: %d %s, want %s and no secret", code, body, want)
		}
	}
	demo(`"api_secret":false,"api_signature":false`)

	writeFile(t, dir, "config.yaml", "io:\n  demo: true\napi:\n  secret: "+secret+"\n  signature: true\n")
	sendSignal(t, c, syscall.SIGHUP)
	c.WaitLog(t, "reloaded", 10*time.Second)
	demo(`"api_secret":true,"api_signature":true`)
}
