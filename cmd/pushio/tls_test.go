package main

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/eiotest"
	"github.com/pushio/pushio/internal/test/testcert"
)

// TestTLSAndSIGHUP serves wss and https with a self-signed certificate,
// then replaces the certificate files and the log level and sends SIGHUP:
// new handshakes get the new certificate, the client connected before
// stays connected and receives pushes.
func TestTLSAndSIGHUP(t *testing.T) {
	dir := t.TempDir()
	a := testcert.Write(t, dir, "a")
	conf := func(level, counts string) string {
		return "io:\n  tls_cert: " + a.CertFile + "\n  tls_key: " + a.KeyFile +
			"\napi:\n  tls_cert: " + a.CertFile + "\n  tls_key: " + a.KeyFile +
			"\nlog:\n  level: " + level + "\ncounts:\n  interval: " + counts + "\n"
	}
	path := writeFile(t, dir, "config.yaml", conf("info", "1s"))
	c := startChild(t, path)
	if !strings.HasPrefix(c.IOURL(), "https://") || !strings.HasPrefix(c.APIURL(), "https://") {
		t.Fatalf("listeners not on TLS: %s %s", c.IOURL(), c.APIURL())
	}
	https := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: a.Pool}}}
	wss := loginClient(t, c, "alice", eiotest.Options{TLS: &tls.Config{RootCAs: a.Pool}})

	publish := func(content string) {
		t.Helper()
		code, body := get(t, https, c.APIURL()+"/?type=publish&to=alice&content="+content)
		if code != http.StatusOK || body != "ok" {
			t.Fatalf("https publish: %d %q", code, body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ev, err := wss.NextNamed(ctx, "new_msg")
		if err != nil || string(ev.Args[0]) != `"`+content+`"` {
			t.Fatalf("wss client: %v %v", ev, err)
		}
	}
	publish("before")

	// Renew the certificate in place, turn debug logs on and change a key
	// that needs a restart.
	b := testcert.Write(t, dir, "b")
	for from, to := range map[string]string{b.CertFile: a.CertFile, b.KeyFile: a.KeyFile} {
		if err := os.Rename(from, to); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, dir, "config.yaml", conf("debug", "2s"))
	sendSignal(t, c, syscall.SIGHUP)
	reloaded := c.WaitLog(t, "reloaded", 10*time.Second)
	changed, _ := reloaded["changed"].([]any)
	restart, _ := reloaded["needs_restart"].([]any)
	if len(changed) != 1 || changed[0] != "log.level" || len(restart) != 1 || restart[0] != "counts.interval" {
		t.Fatalf("reload changed %v and left %v for a restart, want [log.level] and [counts.interval]",
			reloaded["changed"], reloaded["needs_restart"])
	}

	for _, u := range []string{c.IOURL(), c.APIURL()} {
		addr := strings.TrimPrefix(u, "https://")
		if cn, err := testcert.ServedName(addr, b.Pool); err != nil || cn != "b" {
			t.Fatalf("%s after SIGHUP: %q %v, want the new certificate", addr, cn, err)
		}
		if _, err := testcert.ServedName(addr, a.Pool); err == nil {
			t.Fatalf("%s still serves the old certificate", addr)
		}
	}
	https.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: b.Pool}}
	publish("after")

	// The debug level is in force: an ignored login is logged.
	late := loginClient(t, c, "bob", eiotest.Options{TLS: &tls.Config{RootCAs: b.Pool}})
	_ = late.Emit("login", true)
	c.WaitLog(t, "login ignored: uid is neither a string nor a number", 10*time.Second)
}
