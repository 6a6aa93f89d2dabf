package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
	"github.com/pushio/pushio/internal/test/redistest"
)

// drainWindow is the instances' io.drain_window: long enough that the
// drain outlasts HAProxy's two failed checks, one a second, with four
// pages or more on the instance.
const drainWindow = 4 * time.Second

// TestHAProxy runs three pushio instances on one Redis behind a real
// HAProxy with deploy/haproxy/pushio.cfg, and twelve default-transport
// socket.io-client 2.x and 4.x pages that reconnect, each from its own
// address, through the events the config is for: every page gets its own
// push and the broadcast once; an instance drains and HAProxy moves its
// pages to the others meanwhile; an instance dies and the API calls sent
// its way reach another; Redis goes away and every publish answers 503
// fail, from pushio and then from HAProxy itself, until it is back.
func TestHAProxy(t *testing.T) {
	e2etest.NeedNode(t)
	haproxy := need.Program(t, "haproxy")
	redis := redistest.Start(t)
	prefix := redistest.Prefix(t)
	nodes := startNodes(t, 3, "--redis.url", redis.URL(), "--redis.prefix", prefix,
		"--io.drain_window", drainWindow.String())
	h := startHAProxy(t, haproxy, nodes)

	specs := pages(loopbacks(0, 12), "hap", clientSpec{Upgrade: true, Reconnect: true})
	n := startClients(t, h.ioURL, specs...)
	n.waitLine("all_ready", 20*time.Second)
	want := make([][]any, len(specs)) // what each page must have got, in order
	live := slices.Clone(nodes)       // the instances not stopped yet
	steps := []struct {
		name string
		run  func(t *testing.T, push func(i int, content string))
	}{
		{"pages", func(t *testing.T, _ func(int, string)) {
			if got := len(presence(t, redis.URL(), prefix)); got < 2 {
				t.Fatalf("pages are on %d instance(s), want them spread over at least 2", got)
			}
			pushEach(t, "HAProxy", h.apiURL, specs)
			for i := range specs {
				want[i] = append(want[i], fmt.Sprintf("to %d", i), "to everyone")
			}
		}},
		{"drain", func(t *testing.T, push func(int, string)) {
			k := mostPages(t, live, redis.URL(), prefix)
			for _, i := range haproxyDrain(t, h, nodes, k, redis.URL(), prefix, n, specs) {
				push(i, "after the drain")
			}
			live = slices.Delete(live, k, k+1)
		}},
		{"crash", func(t *testing.T, _ func(int, string)) {
			haproxyCrash(t, h, nodes, slices.Index(nodes, live[0]))
			live = live[1:]
		}},
		{"redis down", func(t *testing.T, _ func(int, string)) {
			uids := presence(t, redis.URL(), prefix)[live[0].Instance]
			if len(uids) == 0 {
				t.Fatal("no page on the last instance")
			}
			i := slices.IndexFunc(specs, func(s clientSpec) bool { return s.UID == uids[0] })
			want[i] = append(want[i], haproxyRedisDown(t, h, redis, uids[0]))
		}},
	}
	for _, step := range steps {
		ok := t.Run(step.name, func(t *testing.T) {
			step.run(t, func(i int, content string) {
				t.Helper()
				if got := publishTo(t, h.apiURL, specs[i].UID, content); got != "ok" {
					t.Fatalf("publish to %s through HAProxy: %q, want ok", specs[i].UID, got)
				}
				want[i] = append(want[i], content)
			})
			for i := range specs {
				n.waitMsgs(i, len(want[i]), 10*time.Second)
			}
			checkMsgs(t, n, specs, func(i int) []any { return want[i] })
		})
		if !ok {
			return
		}
	}
}

// mostPages is the index in nodes of the instance holding the most pages.
func mostPages(t testing.TB, nodes []*harness.Pushio, redisURL, prefix string) int {
	t.Helper()
	held := presence(t, redisURL, prefix)
	k := 0
	for i, p := range nodes {
		if len(held[p.Instance]) > len(held[nodes[k].Instance]) {
			k = i
		}
	}
	return k
}

// haproxyDrain stops (SIGTERM) instance k and returns its pages: they must
// be on the other instances within drainWindow+3s, HAProxy must have
// taken the instance out of the hash on its /readyz (so while it
// drained), and the other pages must not have noticed.
func haproxyDrain(t *testing.T, h haproxyRun, nodes []*harness.Pushio, k int, redisURL, prefix string, n *nodeClients, specs []clientSpec) (moved []int) {
	drained := nodes[k]
	held := presence(t, redisURL, prefix)
	for i, s := range specs {
		if slices.Contains(held[drained.Instance], s.UID) {
			moved = append(moved, i)
		}
	}
	stopped := make(chan error, 1)
	go func() { stopped <- drained.Stop() }()
	took := eventually.True(t, drainWindow+3*time.Second, "the drained instance's pages on the others", func() bool {
		now := presence(t, redisURL, prefix)
		for _, i := range moved {
			if !heldElsewhere(now, specs[i].UID, drained.Instance) {
				return false
			}
		}
		return true
	})
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(drainWindow + 10*time.Second):
		t.Fatalf("the drained instance still runs %s after its SIGTERM", drainWindow+10*time.Second)
	}
	t.Logf("the %d pages of io%d were on other instances %s after its SIGTERM", len(moved), k+1, took.Round(10*time.Millisecond))

	// HAProxy logs why it took a server out once: a 503 from /readyz is
	// the drain; a refused connection would be an instance already gone.
	down := regexp.MustCompile(fmt.Sprintf(`Server pushio_io/io%d is DOWN, reason: ([^,]*, code: \d+|[^,]*)`, k+1))
	var why []string
	eventually.True(t, 5*time.Second, "HAProxy's log of the drained instance going down", func() bool {
		why = down.FindStringSubmatch(h.output())
		return why != nil
	})
	if why[1] != "Layer7 wrong status, code: 503" {
		t.Errorf("HAProxy took io%d out with %q, want the drain's 503 from /readyz", k+1, why[1])
	}
	for i := range specs {
		if !slices.Contains(moved, i) && n.count(i, "connect") != 1 {
			t.Errorf("page %d, on an instance that stayed, connected %d times, want once", i, n.count(i, "connect"))
		}
	}
	return moved
}

// haproxyCrash kills (SIGKILL) instance k and at once sends three API
// calls through HAProxy: round robin sends one of them to the dead
// instance, which the checks of its API port (every 2 s, fall 3) cannot
// have noticed yet, and each must still reach a live one within a second.
func haproxyCrash(t *testing.T, h haproxyRun, nodes []*harness.Pushio, k int) {
	if err := nodes[k].Kill(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		start := time.Now()
		status, body := e2etest.Call(t, "GET", h.apiURL+"/?type=count", "", "")
		if d := time.Since(start); status != http.StatusOK || d > time.Second {
			t.Fatalf("type=count through HAProxy right after api%d died: %d %q after %s, want 200 within 1s",
				k+1, status, body, d.Round(10*time.Millisecond))
		}
	}
}

// heldElsewhere reports whether an instance other than not holds uid.
func heldElsewhere(held map[string][]string, uid, not string) bool {
	for inst, uids := range held {
		if inst != not && slices.Contains(uids, uid) {
			return true
		}
	}
	return false
}

// haproxyRedisDown stops Redis: every publish to uid answers 503 fail
// within redis.timeout (2 s) and a second, first from the instances, then
// from HAProxy once it found none ready, with the same content type.
// After Redis is back, a publish answers ok within 15 s; it returns what
// that publish sent.
func haproxyRedisDown(t *testing.T, h haproxyRun, redis *redistest.Server, uid string) string {
	redis.Stop()
	ctype := map[bool]string{} // by whether HAProxy answered
	took := eventually.True(t, 15*time.Second, "HAProxy's own 503 fail", func() bool {
		start := time.Now()
		status, body, header, err := e2etest.Send(http.MethodGet, h.apiURL+"/?"+publishQuery(uid, "while redis is down"), "", "")
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); status != http.StatusServiceUnavailable || body != "fail" || d > 3*time.Second {
			t.Fatalf("publish with Redis down: %d %q after %s, want 503 fail within 3s", status, body, d)
		}
		// Go's net/http dates every answer; HAProxy's own has no Date.
		byHAProxy := header.Get("Date") == ""
		ctype[byHAProxy] = header.Get("Content-Type")
		return byHAProxy
	})
	t.Logf("HAProxy answered 503 fail itself %s after Redis stopped", took.Round(10*time.Millisecond))
	if ctype[false] != ctype[true] {
		t.Errorf("Content-Type of 503 fail: %q from pushio, %q from HAProxy; want the same", ctype[false], ctype[true])
	}
	redis.StartAgain()
	const back = "after redis is back"
	took = eventually.True(t, 15*time.Second, "publish ok after Redis is back", func() bool {
		return publishTo(t, h.apiURL, uid, back) == "ok"
	})
	t.Logf("publish answered ok %s after Redis started again", took.Round(10*time.Millisecond))
	return back
}

// haproxyRun is a running HAProxy: its base URLs and its output so far.
type haproxyRun struct {
	ioURL, apiURL string
	output        func() string
}

// startHAProxy runs haproxy in the foreground with
// deploy/haproxy/pushio.cfg, its listeners moved to free loopback ports,
// its servers to nodes and its log to its output; it stops when t ends.
func startHAProxy(t testing.TB, haproxy string, nodes []*harness.Pushio) haproxyRun {
	t.Helper()
	ioAddr, apiAddr := freeAddr(t), freeAddr(t)
	text := deployConf(t, filepath.Join("haproxy", "pushio.cfg"), nodes, []string{
		"bind :2120\n", "bind " + ioAddr + "\n",
		"bind 127.0.0.1:2121\n", "bind " + apiAddr + "\n",
		"log /dev/log local0", "log stderr format raw local0",
	}, ioAddr, apiAddr, "log stderr")
	dir := t.TempDir()
	conf := filepath.Join(dir, "pushio.cfg")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	output := startProxy(t, exec.Command(haproxy, "-f", conf, "-db"), filepath.Join(dir, "haproxy.log"), ioAddr, apiAddr)
	return haproxyRun{"http://" + ioAddr, "http://" + apiAddr, output}
}
