package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/config"
	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
	"github.com/pushio/pushio/internal/test/redistest"
)

// TestPlainProxyEventStream: behind each shipped nginx config, in a site
// that gzips text/event-stream (startNginx's http block does), and behind
// the shipped HAProxy config, an npm eventsource page gets each push
// within 2 s (a proxy buffering or gzipping the stream would hold it),
// and a raw stream that asks for gzip gets it unencoded with a ping
// comment each io.ping_interval (1 s here) for four intervals: each comes
// through as it is written, so the proxy's read timeout, longer than the
// interval (TestShippedTimeoutsOutlastPings), never ends a stream.
func TestPlainProxyEventStream(t *testing.T) {
	e2etest.NeedNode(t)
	redis := redistest.Start(t)
	for _, proxy := range []string{"nginx/pushio.conf", "nginx/pushio-websocket-only.conf", "haproxy/pushio.cfg"} {
		t.Run(proxy, func(t *testing.T) {
			prefix := redistest.Prefix(t)
			nodes := startNodes(t, 3, "--redis.url", redis.URL(), "--redis.prefix", prefix, "--io.ping_interval", "1s")
			ioURL, apiURL := startShipped(t, proxy, nodes)
			n := startClients(t, ioURL, clientSpec{Version: "sse", UID: "prompt"})
			n.waitLine("all_ready", 20*time.Second)
			for i := range 3 {
				start := time.Now()
				if got := publishTo(t, apiURL, "prompt", fmt.Sprint("now ", i)); got != "ok" {
					t.Fatalf("publish through %s: %q", proxy, got)
				}
				n.waitMsgs(0, i+1, 2*time.Second)
				t.Logf("push %d reached the page through %s in %s", i, proxy, time.Since(start).Round(time.Millisecond))
			}
			pings := readPings(t, ioURL+"/events?uid=raw", 4, 8*time.Second)
			t.Logf("pings through %s at %v", proxy, pings)
		})
	}
}

// startShipped runs the shipped proxy config ("nginx/FILE" or
// "haproxy/pushio.cfg") in front of nodes and returns its io and API base
// URLs.
func startShipped(t testing.TB, proxy string, nodes []*harness.Pushio) (ioURL, apiURL string) {
	t.Helper()
	if program, conf, _ := strings.Cut(proxy, "/"); program == "nginx" {
		return startNginx(t, need.Program(t, "nginx"), conf, nodes)
	}
	h := startHAProxy(t, need.Program(t, "haproxy"), nodes)
	return h.ioURL, h.apiURL
}

// readPings opens an event stream at url asking for gzip, checks that it
// is an unencoded text/event-stream, and returns when each of the first
// want ping comments came, failing t if they take longer than within.
func readPings(t testing.TB, url string, want int, within time.Duration) []time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip") // set by hand: Go passes the body as it comes
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" ||
		resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("event stream answered %s, Content-Type %q, Content-Encoding %q", resp.Status,
			resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"))
	}
	start := time.Now()
	var at []time.Duration
	sc := bufio.NewScanner(resp.Body)
	for len(at) < want && sc.Scan() {
		if sc.Text() == ": ping" {
			at = append(at, time.Since(start).Round(10*time.Millisecond))
		}
	}
	if len(at) < want {
		t.Fatalf("%d ping comments within %s (%v), want %d: %v", len(at), within, at, want, sc.Err())
	}
	return at
}

// TestShippedTimeoutsOutlastPings: every read timeout of the shipped
// nginx configs and HAProxy's client and server timeouts outlast the
// default io.ping_interval + io.ping_timeout, so that neither proxy ever
// ends a healthy websocket, long-poll or event stream (which gets a
// comment each io.ping_interval): nginx's own default, 60 s, would be
// cut close, and a site's smaller one would cut every idle stream.
func TestShippedTimeoutsOutlastPings(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	heartbeat := config.DefaultPingInterval + config.DefaultPingTimeout
	for _, tc := range []struct {
		file string
		re   *regexp.Regexp
		want int // settings found at least
	}{
		{"nginx/pushio.conf", regexp.MustCompile(`(?m)^\s*proxy_read_timeout\s+(\d+)s;`), 1},
		{"nginx/pushio-websocket-only.conf", regexp.MustCompile(`(?m)^\s*proxy_read_timeout\s+(\d+)s;`), 1},
		{"haproxy/pushio.cfg", regexp.MustCompile(`(?m)^\s*timeout\s+(?:client|server|tunnel)\s+(\d+)(s|m|h)\b`), 3},
	} {
		b, err := os.ReadFile(filepath.Join(root, "deploy", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		found := tc.re.FindAllStringSubmatch(string(b), -1)
		if len(found) < tc.want {
			t.Errorf("deploy/%s: %d timeouts found, want %d (%s)", tc.file, len(found), tc.want, tc.re)
		}
		for _, m := range found {
			v, _ := strconv.Atoi(m[1])
			d := time.Duration(v) * time.Second
			if len(m) > 2 {
				d = map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[m[2]] * time.Duration(v)
			}
			if d <= heartbeat {
				t.Errorf("deploy/%s: %q is not longer than io.ping_interval + io.ping_timeout (%s)", tc.file, m[0], heartbeat)
			}
		}
	}
}

// TestPlainDrain: three instances on one Redis behind the shipped
// deploy/nginx/pushio.conf, then deploy/haproxy/pushio.cfg, plain
// WebSocket and EventSource pages from several addresses; the instance
// with the most pages gets SIGTERM. Its event streams end and the npm
// eventsource pages reconnect by themselves, logged in again from their
// URL; its ws pages are closed with 1001 and reconnect as a page would;
// each page gets the next push once, and the pages of the other
// instances never noticed. Behind nginx the streams' retry: is 500 ms,
// so they reconnect while the instance still drains and answers 503:
// nginx must go on to another instance, or EventSource gives up. Behind
// HAProxy it is the default 3 s, which outlasts the two failed /readyz
// checks that take the instance out.
func TestPlainDrain(t *testing.T) {
	e2etest.NeedNode(t)
	redis := redistest.Start(t)
	for i, tc := range []struct{ proxy, retry string }{
		{"nginx/pushio.conf", "500ms"},
		{"haproxy/pushio.cfg", "3s"},
	} {
		t.Run(tc.proxy, func(t *testing.T) { plainDrain(t, redis, tc.proxy, tc.retry, 32+i) })
	}
}

// plainDrain is TestPlainDrain behind proxy, with io.sse_retry retry and
// pages from 127.0.net.*.
func plainDrain(t *testing.T, redis *redistest.Server, proxy, retry string, net int) {
	prefix := redistest.Prefix(t)
	nodes := startNodes(t, 3, "--redis.url", redis.URL(), "--redis.prefix", prefix,
		"--io.drain_window", drainWindow.String(), "--io.sse_retry", retry)
	ioURL, apiURL := startShipped(t, proxy, nodes)
	var specs []clientSpec
	for i := range 12 {
		specs = append(specs, clientSpec{Version: []string{"ws", "sse"}[i%2], Reconnect: true,
			UID: fmt.Sprintf("drain-%d", i), Local: fmt.Sprintf("127.0.%d.%d", net, 10+i/2)})
	}
	n := startClients(t, ioURL, specs...)
	n.waitLine("all_ready", 20*time.Second)
	k := mostPages(t, nodes, redis.URL(), prefix)
	drained := nodes[k]
	held := presence(t, redis.URL(), prefix)
	var moved []int
	for i, s := range specs {
		if slices.Contains(held[drained.Instance], s.UID) {
			moved = append(moved, i)
		}
	}
	if len(moved) == 0 || len(moved) == len(specs) {
		t.Fatalf("%d of %d pages on the drained instance, want some and not all", len(moved), len(specs))
	}
	stopped := make(chan error, 1)
	go func() { stopped <- drained.Stop() }()
	// The last page closed at the window's end reconnects a retry: later.
	delay, err := time.ParseDuration(retry)
	if err != nil {
		t.Fatal(err)
	}
	took := eventually.True(t, drainWindow+delay+5*time.Second, "the drained instance's pages on the others", func() bool {
		now := presence(t, redis.URL(), prefix)
		for _, i := range moved {
			if !heldElsewhere(now, specs[i].UID, drained.Instance) {
				return false
			}
		}
		return true
	})
	t.Logf("the %d pages of io%d were on other instances %s after its SIGTERM", len(moved), k+1, took.Round(10*time.Millisecond))
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(drainWindow + 10*time.Second):
		t.Fatalf("the drained instance still runs %s after its SIGTERM", drainWindow+10*time.Second)
	}
	for _, i := range moved {
		switch got := n.data(i, "disconnect"); specs[i].Version {
		case "ws":
			if len(got) == 0 || !strings.HasPrefix(fmt.Sprint(got[0]), "1001 ") {
				t.Errorf("ws page %d disconnected %q, want 1001 first", i, got)
			}
		case "sse": // the stream ended (an error event); EventSource gave up had it printed one
			if len(got) != 0 || n.count(i, "connect_error") == 0 {
				t.Errorf("sse page %d: disconnects %q and %d errors, want none and one or more", i, got, n.count(i, "connect_error"))
			}
		}
		if got := n.count(i, "welcome"); got != 2 {
			t.Errorf("page %d (%s) was welcomed %d times, want twice (it reconnected once)", i, specs[i].Version, got)
		}
	}
	for i := range specs {
		if !slices.Contains(moved, i) && n.count(i, "connect") != 1 {
			t.Errorf("page %d, on an instance that stayed, connected %d times, want once", i, n.count(i, "connect"))
		}
	}
	pushEach(t, proxy, apiURL, specs)
	for i := range specs {
		n.waitMsgs(i, 2, 10*time.Second)
	}
	checkMsgs(t, n, specs, func(i int) []any { return []any{fmt.Sprintf("to %d", i), "to everyone"} })
}
