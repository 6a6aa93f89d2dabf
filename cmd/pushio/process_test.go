package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/eiotest"
	"github.com/pushio/pushio/internal/test/harness"
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m))
}

// startChild runs pushio with the config file at path on free loopback
// ports and waits for its start-up line.
func startChild(t *testing.T, path string) *harness.Pushio {
	t.Helper()
	return harness.StartT(t, harness.Binary(), harness.Options{Args: []string{"--config", path}, StartTimeout: 20 * time.Second})
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sendSignal sends sig to the child.
func sendSignal(t *testing.T, c *harness.Pushio, sig syscall.Signal) {
	t.Helper()
	if err := c.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// get fetches url with client and returns the status and body.
func get(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// loginClient connects a raw client to the child and logs uid in.
func loginClient(t *testing.T, c *harness.Pushio, uid string, o eiotest.Options) *eiotest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := eiotest.Dial(ctx, eiotest.URL(c.IOURL(), "/socket.io"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	_ = cl.Emit("login", uid)
	if _, err := cl.NextNamed(ctx, "update_online_count"); err != nil {
		t.Fatal(err)
	}
	return cl
}

func TestSIGTERMDrainsClients(t *testing.T) {
	const n, window = 10, 2 * time.Second
	c := startChild(t, writeFile(t, t.TempDir(), "config.yaml", "io:\n  drain_window: 2s\nshutdown_timeout: 6s\n"))
	closedAt := make(chan time.Duration, n)
	var sent time.Time
	var sentMu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		cl := loginClient(t, c, fmt.Sprintf("u%d", i), eiotest.Options{})
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if cl.Closed(ctx) {
				sentMu.Lock()
				closedAt <- time.Since(sent)
				sentMu.Unlock()
			}
		})
	}
	for _, probe := range []string{c.APIURL() + "/readyz", c.IOURL() + "/readyz"} {
		if code, _ := get(t, http.DefaultClient, probe); code != http.StatusOK {
			t.Fatalf("%s before SIGTERM: %d", probe, code)
		}
	}

	sentMu.Lock()
	sent = time.Now()
	sentMu.Unlock()
	sendSignal(t, c, syscall.SIGTERM)
	c.WaitLog(t, "draining: closing client sessions", 5*time.Second)
	for _, probe := range []string{c.APIURL() + "/readyz", c.IOURL() + "/readyz"} {
		if code, _ := get(t, http.DefaultClient, probe); code != http.StatusServiceUnavailable {
			t.Fatalf("%s while draining: %d, want 503", probe, code)
		}
	}
	if code, _ := get(t, http.DefaultClient, c.IOURL()+"/healthz"); code != http.StatusOK {
		t.Fatalf("io /healthz while draining: %d, want 200 (alive)", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := eiotest.Dial(ctx, eiotest.URL(c.IOURL(), "/socket.io"), eiotest.Options{})
	if he, ok := err.(*eiotest.HandshakeError); !ok || he.Status != http.StatusServiceUnavailable {
		t.Fatalf("a new client while draining: %v, want a 503", err)
	}

	wg.Wait()
	close(closedAt)
	got := 0
	for d := range closedAt {
		got++
		if d > window+time.Second {
			t.Errorf("a client was disconnected %s after SIGTERM, past the %s window", d, window)
		}
	}
	if got != n {
		t.Fatalf("%d of %d clients disconnected", got, n)
	}
	select {
	case <-c.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("pushio did not exit after the drain")
	}
	if c.ExitCode() != 0 {
		t.Fatalf("exit code %d, want 0", c.ExitCode())
	}
}

// TestRedisDownAtStartLogsOnlyJSON starts pushio with JSON logs and a
// redis.url nobody listens on: it exits 1 with the hint, and go-redis's own
// complaints about the refused dials do not appear as plain text lines
// among the JSON ones (they go to the debug log).
func TestRedisDownAtStartLogsOnlyJSON(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binary(), "--config", writeFile(t, t.TempDir(), "pushio.yaml", "{}\n"))
	cmd.Env = append(os.Environ(), "PUSHIO_IO_ADDR=127.0.0.1:0", "PUSHIO_API_ADDR=127.0.0.1:0",
		"PUSHIO_LOG_FORMAT=json", "PUSHIO_REDIS_URL=redis://"+closed+"/0", "PUSHIO_REDIS_TIMEOUT=1s")
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit code %d (%v), want 1; output:\n%s", code, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "pushio: redis: connecting to ") || !strings.Contains(last, "is redis.url right") {
		t.Errorf("last line %q, want the redis start-up error with its hint", last)
	}
	for _, l := range lines[:len(lines)-1] {
		if !json.Valid([]byte(l)) {
			t.Errorf("a log line is not JSON: %q", l)
		}
	}
}
