package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/internal/redistest"
	"github.com/pushio/pushio/test/e2e/harness"
)

// TestNginxCluster runs three pushio instances on one Redis behind a real
// nginx with each shipped configuration, and socket.io-client 2.x and 4.x
// pages from several addresses: every page gets its own push and the
// broadcast exactly once, whichever instance took the API call.
func TestNginxCluster(t *testing.T) {
	needNode(t)
	nginx := harness.Need(t, "nginx")
	redis := redistest.Start(t)
	for _, tc := range []struct {
		conf       string
		transports []string // nil: the default, polling then websocket
		upgrade    bool
	}{
		{"pushio.conf", nil, true},
		{"pushio-websocket-only.conf", []string{"websocket"}, false},
	} {
		t.Run(tc.conf, func(t *testing.T) {
			prefix := redistest.Prefix(t)
			var nodes []*harness.Pushio
			for range 3 {
				nodes = append(nodes, startPushio(t, "--redis.url", redis.URL(), "--redis.prefix", prefix))
			}
			ioURL, apiURL := startNginx(t, nginx, tc.conf, nodes)

			var specs []clientSpec
			for i, v := range []string{"sio2", "sio4", "sio2", "sio4", "sio2", "sio4"} {
				specs = append(specs, clientSpec{
					Version: v, Transports: tc.transports, Upgrade: tc.upgrade, Expect: 2,
					UID: fmt.Sprintf("lb-%d", i), Local: fmt.Sprintf("127.0.0.%d", 10+i),
				})
			}
			n := startClients(t, ioURL, specs...)
			n.waitLine("all_ready", 20*time.Second)
			if got := instancesHolding(t, redis.URL(), prefix); got < 2 {
				t.Errorf("pages are on %d instance(s), want them spread over at least 2", got)
			}

			for i, s := range specs {
				if got := publishTo(t, apiURL, s.UID, fmt.Sprintf("to %d", i)); got != "ok" {
					t.Fatalf("publish to %s through nginx: %q, want ok", s.UID, got)
				}
			}
			if got := publishTo(t, apiURL, "", "to everyone"); got != "ok" {
				t.Fatalf("broadcast through nginx: %q, want ok", got)
			}
			n.waitLine("done", 10*time.Second)
			n.waitExit(5 * time.Second)
			for i := range specs {
				want := []any{fmt.Sprintf("to %d", i), "to everyone"}
				if got := n.data(i, "new_msg"); !slices.Equal(got, want) {
					t.Errorf("page %d (%s) got %q, want %q", i, specs[i].Version, got, want)
				}
			}
		})
	}
}

// publishTo publishes through the API at apiURL (to "" broadcasts).
func publishTo(t testing.TB, apiURL, to, content string) string {
	t.Helper()
	q := "type=publish&content=" + strings.ReplaceAll(content, " ", "+")
	if to != "" {
		q += "&to=" + to
	}
	_, body := call(t, "GET", apiURL+"/?"+q, "", "")
	return body
}

// instancesHolding counts the instances with a logged-in page, from their
// presence records in Redis.
func instancesHolding(t testing.TB, url, prefix string) int {
	t.Helper()
	o, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := c.Keys(ctx, "{"+prefix+"}-presence#inst#*").Result()
	if err != nil {
		t.Fatalf("reading presence: %v", err)
	}
	n := 0
	for _, k := range keys {
		if c.HLen(ctx, k).Val() > 0 {
			n++
		}
	}
	return n
}

// startNginx runs nginx with deploy/nginx/conf, its listeners moved to
// free loopback ports and its upstreams to nodes; it returns the io and
// API base URLs and stops nginx when t ends.
func startNginx(t testing.TB, nginx, conf string, nodes []*harness.Pushio) (ioURL, apiURL string) {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	site, err := os.ReadFile(filepath.Join(root, "deploy", "nginx", conf))
	if err != nil {
		t.Fatal(err)
	}
	ioAddr, apiAddr := freeAddr(t), freeAddr(t)
	pairs := []string{"listen 2120;", "listen " + ioAddr + ";", "listen 127.0.0.1:2121;", "listen " + apiAddr + ";"}
	for i, p := range nodes {
		base := 3120 + 10*i
		pairs = append(pairs,
			fmt.Sprintf("127.0.0.1:%d ", base), p.IOAddr+" ",
			fmt.Sprintf("127.0.0.1:%d ", base+1), p.APIAddr+" ")
	}
	text := strings.NewReplacer(pairs...).Replace(string(site))
	for _, want := range []string{ioAddr, apiAddr, nodes[2].IOAddr, nodes[2].APIAddr} {
		if !strings.Contains(text, want) {
			t.Fatalf("deploy/nginx/%s: could not point it at %s (did its listeners or upstreams change?)", conf, want)
		}
	}
	dir := t.TempDir()
	main := `worker_processes 1;
pid nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path body;
    proxy_temp_path proxy;
    include site.conf;
}
`
	for name, body := range map[string]string{"nginx.conf": main, "site.conf": text} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", "nginx.conf", "-g", "daemon off;")
	// A file, not a pipe: nginx's worker holds its output open too.
	out, err := os.Create(filepath.Join(dir, "nginx.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// SIGTERM: the master stops its worker, then exits.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	log := func() string { b, _ := os.ReadFile(out.Name()); return string(b) }
	deadline := time.Now().Add(10 * time.Second)
	for _, addr := range []string{ioAddr, apiAddr} {
		for {
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				t.Fatalf("nginx exited: %s", log())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("nginx not listening on %s within 10s: %s", addr, log())
			}
		}
	}
	return "http://" + ioAddr, "http://" + apiAddr
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

// TestNginxStickyInstanceBack kills an instance behind deploy/nginx/pushio.conf
// while pages connect, starts it again on its address and, once nginx
// would have stopped avoiding it (the max_fails=1 fail_timeout=5s the file
// once had), connects a burst of default-transport pages: every one keeps
// its session on one instance. With failures remembered, nginx sent the
// handshakes made while its first request to the instance was in flight
// elsewhere and their next requests to the instance: "Session ID unknown".
func TestNginxStickyInstanceBack(t *testing.T) {
	needNode(t)
	nginx := harness.Need(t, "nginx")
	redis := redistest.Start(t)
	prefix := redistest.Prefix(t)
	flags := []string{"--redis.url", redis.URL(), "--redis.prefix", prefix}
	var nodes []*harness.Pushio
	for range 3 {
		nodes = append(nodes, startPushio(t, flags...))
	}
	ioURL, _ := startNginx(t, nginx, "pushio.conf", nodes)
	burst := func(net int) {
		t.Helper()
		var specs []clientSpec
		for i := range 24 {
			specs = append(specs, clientSpec{
				Version: []string{"sio1", "sio2", "sio4"}[i%3], Upgrade: true,
				UID: fmt.Sprintf("back-%d-%d", net, i), Local: fmt.Sprintf("127.0.%d.%d", net, 10+i),
			})
		}
		n := startClients(t, ioURL, specs...)
		n.waitLine("all_ready", 20*time.Second)
		n.proc.stop(5 * time.Second)
	}

	if err := nodes[0].Kill(); err != nil {
		t.Fatal(err)
	}
	burst(21) // the pages of the dead instance go to the others
	startPushio(t, append(flags, "--io.addr", nodes[0].IOAddr, "--api.addr", nodes[0].APIAddr)...)
	time.Sleep(5500 * time.Millisecond)
	burst(22)
}
