package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/harness"
)

// The shipped load balancer configs (deploy/nginx, deploy/haproxy) run
// here as they are, but for their addresses: listeners on free loopback
// ports and servers at the test's instances.

// startNodes runs n instances for t, each with args (e.g. one
// --redis.url and --redis.prefix, to make a cluster).
func startNodes(t testing.TB, n int, args ...string) []*harness.Pushio {
	t.Helper()
	var nodes []*harness.Pushio
	for range n {
		nodes = append(nodes, e2etest.StartPushio(t, args...))
	}
	return nodes
}

// deployConf reads deploy/rel and replaces pairs (old, new, …) in it, then
// the shipped instance addresses with nodes' (see nodePairs). It fails t
// unless every string of want, and nodes' last addresses, are in the
// result: a sign that the file's listeners or servers changed.
func deployConf(t testing.TB, rel string, nodes []*harness.Pushio, pairs []string, want ...string) string {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy", rel))
	if err != nil {
		t.Fatal(err)
	}
	last := nodes[len(nodes)-1]
	text := strings.NewReplacer(append(pairs, nodePairs(nodes)...)...).Replace(string(b))
	for _, w := range append(want, last.IOAddr, last.APIAddr) {
		if !strings.Contains(text, w) {
			t.Fatalf("deploy/%s: could not point it at %s (did its listeners or servers change?)", rel, w)
		}
	}
	return text
}

// nodePairs move the shipped configs' instances, io on 127.0.0.1:3120,
// 3130, 3140 and the API one port above, to nodes' addresses (a space
// follows each address in the files).
func nodePairs(nodes []*harness.Pushio) []string {
	var pairs []string
	for i, p := range nodes {
		base := 3120 + 10*i
		pairs = append(pairs,
			fmt.Sprintf("127.0.0.1:%d ", base), p.IOAddr+" ",
			fmt.Sprintf("127.0.0.1:%d ", base+1), p.APIAddr+" ")
	}
	return pairs
}

// proxyWait bounds a proxy's start (listening) and its stop.
const proxyWait = 10 * time.Second

// startProxy starts cmd with its output in logFile (a file, not a pipe:
// nginx's worker holds its output open too) and returns once it accepts
// connections on every addr. When t ends it stops cmd with SIGTERM
// (SIGKILL after proxyWait) and, if t failed, logs its output. The
// returned func reads the output so far.
func startProxy(t testing.TB, cmd *exec.Cmd, logFile string, addrs ...string) (output func() string) {
	t.Helper()
	name := filepath.Base(cmd.Path)
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	output = func() string { b, _ := os.ReadFile(logFile); return string(b) }
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(proxyWait):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, output())
		}
	})
	deadline := time.Now().Add(proxyWait)
	for _, addr := range addrs {
		for {
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				t.Fatalf("%s exited: %s", name, output())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not listening on %s within %s: %s", name, addr, proxyWait, output())
			}
		}
	}
	return output
}

// pages are a client like tmpl from each of addrs, alternately
// socket.io-client 2.x and 4.x, with uids uid-0, uid-1, …: browsers to a
// load balancer that hashes addresses.
func pages(addrs []string, uid string, tmpl clientSpec) []clientSpec {
	var specs []clientSpec
	for i, a := range addrs {
		s := tmpl
		s.Version = []string{"sio2", "sio4"}[i%2]
		s.UID = fmt.Sprintf("%s-%d", uid, i)
		s.Local = a
		specs = append(specs, s)
	}
	return specs
}

// loopbacks are n source addresses 127.0.subnet.10, .11, …
func loopbacks(subnet, n int) []string {
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("127.0.%d.%d", subnet, 10+i)
	}
	return addrs
}

// probeAddrs bounds the source addresses spreadAddrs tries.
const probeAddrs = 100

// spreadAddrs are n (at least len(nodes)) of the source addresses
// 127.0.subnet.10, .11, … whose pages the proxy at ioURL sends to every one
// of nodes, spread as evenly as the addresses tried allow: a proxy that
// hashes client addresses may put a few of them all on one instance. Each
// address tried makes an Engine.IO handshake through the proxy, and the
// instance that knows its session (and closes it) is the one it goes to.
func spreadAddrs(t testing.TB, ioURL string, nodes []*harness.Pushio, subnet, n int) []string {
	t.Helper()
	byNode := make([][]string, len(nodes))
	tried, covered := 0, 0
	for _, addr := range loopbacks(subnet, probeAddrs) {
		if covered == len(nodes) && tried >= n {
			break
		}
		k := probeNode(t, ioURL, nodes, addr)
		if len(byNode[k]) == 0 {
			covered++
		}
		byNode[k] = append(byNode[k], addr)
		tried++
	}
	if covered < len(nodes) {
		t.Fatalf("the proxy sent %d source addresses to %d of %d instances", tried, covered, len(nodes))
	}
	var addrs []string
	for i := 0; len(addrs) < n; i++ {
		if at := i / len(nodes); at < len(byNode[i%len(nodes)]) {
			addrs = append(addrs, byNode[i%len(nodes)][at])
		}
	}
	return addrs
}

// probeNode is the index in nodes of the instance the proxy at ioURL
// sends a handshake from the source address addr to.
func probeNode(t testing.TB, ioURL string, nodes []*harness.Pushio, addr string) int {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 5 * time.Second}
	from := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}}
	const path = "/socket.io/?EIO=4&transport=polling"
	resp, err := from.Get(ioURL + path)
	if err != nil {
		t.Fatalf("handshake from %s: %v", addr, err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	m := sidRE.FindSubmatch(body)
	if err != nil || resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("handshake from %s: %d %q (%v)", addr, resp.StatusCode, body, err)
	}
	for k, node := range nodes {
		// The close packet: 200 where the session is, 400 elsewhere.
		if status, _ := e2etest.Call(t, http.MethodPost, node.IOURL()+path+"&sid="+string(m[1]), "text/plain;charset=UTF-8", "1"); status == http.StatusOK {
			return k
		}
	}
	t.Fatalf("no instance knows the session of the handshake from %s", addr)
	return -1
}

// pushEach publishes "to <i>" to page i's uid, then "to everyone", through
// the API at apiURL behind via, and fails t unless each answers ok.
func pushEach(t testing.TB, via, apiURL string, specs []clientSpec) {
	t.Helper()
	for i, s := range specs {
		if got := publishTo(t, apiURL, s.UID, fmt.Sprintf("to %d", i)); got != "ok" {
			t.Fatalf("publish to %s through %s: %q, want ok", s.UID, via, got)
		}
	}
	if got := publishTo(t, apiURL, "", "to everyone"); got != "ok" {
		t.Fatalf("broadcast through %s: %q, want ok", via, got)
	}
}

// checkMsgs fails t unless page i got exactly want(i), in order.
func checkMsgs(t testing.TB, n *nodeClients, specs []clientSpec, want func(i int) []any) {
	t.Helper()
	for i := range specs {
		if got := n.data(i, "new_msg"); !slices.Equal(got, want(i)) {
			t.Errorf("page %d (%s, %s) got %q, want %q", i, specs[i].Version, specs[i].UID, got, want(i))
		}
	}
}

// publishTo publishes through the API at apiURL (to "" broadcasts).
func publishTo(t testing.TB, apiURL, to, content string) string {
	t.Helper()
	_, body := e2etest.Call(t, "GET", apiURL+"/?"+publishQuery(to, content), "", "")
	return body
}

// publishQuery is the query string of a publish (to "" broadcasts).
func publishQuery(to, content string) string {
	q := "type=publish&content=" + strings.ReplaceAll(content, " ", "+")
	if to != "" {
		q += "&to=" + to
	}
	return q
}

// presence reads the instances' presence records from Redis: the uids
// each instance holds, by instance name.
func presence(t testing.TB, url, prefix string) map[string][]string {
	t.Helper()
	o, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	base := "{" + prefix + "}-presence#inst#"
	keys, err := c.Keys(ctx, base+"*").Result()
	if err != nil {
		t.Fatalf("reading presence: %v", err)
	}
	held := map[string][]string{}
	for _, k := range keys {
		uids, err := c.HKeys(ctx, k).Result()
		if err != nil {
			t.Fatalf("reading presence: %v", err)
		}
		if len(uids) > 0 {
			held[strings.TrimPrefix(k, base)] = uids
		}
	}
	return held
}

// freeAddr is a loopback address with a port free right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
