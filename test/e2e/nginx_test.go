package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
	"github.com/pushio/pushio/internal/test/redistest"
)

// shippedNginx are the shipped nginx configurations and the transports
// their pages use.
var shippedNginx = []struct {
	conf       string
	transports []string // nil: the default, polling then websocket
	upgrade    bool
}{
	{"pushio.conf", nil, true},
	{"pushio-websocket-only.conf", []string{"websocket"}, false},
}

// TestNginxCluster runs three pushio instances on one Redis behind a real
// nginx with each shipped configuration, and socket.io-client 2.x and 4.x
// pages from several addresses: every page gets its own push and the
// broadcast exactly once, whichever instance took the API call.
func TestNginxCluster(t *testing.T) {
	e2etest.NeedNode(t)
	nginx := need.Program(t, "nginx")
	redis := redistest.Start(t)
	for _, tc := range shippedNginx {
		t.Run(tc.conf, func(t *testing.T) {
			prefix := redistest.Prefix(t)
			nodes := startNodes(t, 3, "--redis.url", redis.URL(), "--redis.prefix", prefix)
			ioURL, apiURL := startNginx(t, nginx, tc.conf, nodes)

			specs := pages(spreadAddrs(t, ioURL, nodes, 0, 6), "lb", clientSpec{Transports: tc.transports, Upgrade: tc.upgrade, Expect: 2})
			n := startClients(t, ioURL, specs...)
			n.waitLine("all_ready", 20*time.Second)
			if got := len(presence(t, redis.URL(), prefix)); got < 2 {
				t.Errorf("pages are on %d instance(s), want them spread over at least 2", got)
			}

			pushEach(t, "nginx", apiURL, specs)
			n.waitLine("done", 10*time.Second)
			n.waitExit(5 * time.Second)
			checkMsgs(t, n, specs, func(i int) []any { return []any{fmt.Sprintf("to %d", i), "to everyone"} })
		})
	}
}

// startNginx runs nginx with deploy/nginx/conf, its listeners moved to
// free loopback ports and its upstreams to nodes; it returns the io and
// API base URLs and stops nginx when t ends.
func startNginx(t testing.TB, nginx, conf string, nodes []*harness.Pushio) (ioURL, apiURL string) {
	t.Helper()
	ioAddr, apiAddr := freeAddr(t), freeAddr(t)
	text := deployConf(t, filepath.Join("nginx", conf), nodes,
		[]string{"listen 2120;", "listen " + ioAddr + ";", "listen 127.0.0.1:2121;", "listen " + apiAddr + ";"},
		ioAddr, apiAddr)
	dir := t.TempDir()
	main := `worker_processes 1;
pid nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
    access_log off;
    # As a site may have it: the shipped files must not gzip event streams.
    gzip on;
    gzip_types text/event-stream;
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
	// SIGTERM at the end: the master stops its worker, then exits.
	cmd := exec.Command(nginx, "-p", dir, "-c", "nginx.conf", "-g", "daemon off;")
	startProxy(t, cmd, filepath.Join(dir, "nginx.log"), ioAddr, apiAddr)
	return "http://" + ioAddr, "http://" + apiAddr
}

// TestNginxStickyInstanceBack kills an instance behind deploy/nginx/pushio.conf
// while pages connect, starts it again on its address and, once nginx
// would have stopped avoiding it (the max_fails=1 fail_timeout=5s the file
// once had), connects a burst of default-transport pages: every one keeps
// its session on one instance. With failures remembered, nginx sent the
// handshakes made while its first request to the instance was in flight
// elsewhere and their next requests to the instance: "Session ID unknown".
func TestNginxStickyInstanceBack(t *testing.T) {
	e2etest.NeedNode(t)
	nginx := need.Program(t, "nginx")
	redis := redistest.Start(t)
	prefix := redistest.Prefix(t)
	flags := []string{"--redis.url", redis.URL(), "--redis.prefix", prefix}
	nodes := startNodes(t, 3, flags...)
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
		n.proc.Stop(5 * time.Second)
	}

	if err := nodes[0].Kill(); err != nil {
		t.Fatal(err)
	}
	burst(21) // the pages of the dead instance go to the others
	e2etest.StartPushio(t, append(flags, "--io.addr", nodes[0].IOAddr, "--api.addr", nodes[0].APIAddr)...)
	time.Sleep(5500 * time.Millisecond)
	burst(22)
}
