// Package clustertest runs pushio instances in-process for tests: the
// Socket.IO server and the publish API on loopback listeners, on the Redis
// adapter, plus helpers to log clients in, call the API and check what the
// clients receive.
package clustertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/adapter"
	redisadapter "github.com/pushio/pushio/adapter/redis"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/internal/test/siotest"
	"github.com/pushio/pushio/pushapi"
	"github.com/pushio/pushio/server"
)

// CallTimeout is redis.timeout for the instances.
const CallTimeout = time.Second

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// QuietRedis silences go-redis's own log, which reports every failed dial
// while a test has stopped Redis on purpose. Call it from TestMain.
func QuietRedis() { goredis.SetLogger(quiet{}) }

// testLog is quiet unless PUSHIO_TEST_LOG=1.
func testLog() *slog.Logger {
	if os.Getenv("PUSHIO_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// Node is one in-process pushio instance.
type Node struct {
	Name string
	// IO is the Socket.IO listener's URL, API the publish API's.
	IO, API string
}

// StartNode starts an instance named name on the Redis at url, with keys
// under prefix; it stops when t ends.
func StartNode(t testing.TB, url, prefix, name string, ttl time.Duration) *Node {
	t.Helper()
	log := testLog().With("instance", name)
	client, err := redisadapter.NewClient(url, CallTimeout)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
	defer cancel()
	presence := redisadapter.NewPresence(ctx, client, redisadapter.PresenceOptions{
		Prefix: prefix, Instance: name, TTL: ttl, Timeout: CallTimeout, Log: log,
	})
	fanout := func(local adapter.Local) (adapter.Fanout, error) {
		return redisadapter.NewFanout(client, redisadapter.FanoutOptions{
			Prefix: prefix, UID: name, Timeout: CallTimeout, Presence: presence, Log: log,
		}, local)
	}
	srv, err := server.New(server.Options{
		SocketIO:    settings.SocketIO{Path: "/socket.io"},
		Counts:      settings.Counts{Interval: 100 * time.Millisecond},
		CallTimeout: CallTimeout,
		Fanout:      fanout,
	}, presence, log)
	if err != nil {
		t.Fatal(err)
	}
	api := pushapi.New(srv, pushapi.Options{CallTimeout: CallTimeout, Ready: presence.Ready}, log)
	ioS, apiS := httptest.NewServer(srv.Handler()), httptest.NewServer(api)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		apiS.Close()
		_ = srv.Close(ctx)
		ioS.Close()
		_ = presence.Close(ctx)
		_ = client.Close()
	})
	return &Node{Name: name, IO: ioS.URL, API: apiS.URL}
}

// StartCluster starts n instances, named n0, n1, …, on a fresh Redis with
// a key prefix of their own.
func StartCluster(t testing.TB, n int, ttl time.Duration) (*redistest.Server, string, []*Node) {
	t.Helper()
	srv := redistest.Start(t)
	prefix, nodes := StartClusterOn(t, srv, n, ttl)
	return srv, prefix, nodes
}

// StartClusterOn starts n instances, named n0, n1, …, on the Redis
// deployment d with a key prefix of their own.
func StartClusterOn(t testing.TB, d redistest.Deployment, n int, ttl time.Duration) (string, []*Node) {
	t.Helper()
	prefix := redistest.Prefix(t)
	nodes := make([]*Node, n)
	for i := range nodes {
		nodes[i] = StartNode(t, d.URL(), prefix, fmt.Sprintf("n%d", i), ttl)
	}
	return prefix, nodes
}

// Get calls the publish API at apiURL with query and returns the status
// and the body.
func Get(t testing.TB, apiURL, query string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(apiURL + "/?" + query)
	if err != nil {
		t.Fatalf("GET ?%s: %v", query, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET ?%s: reading: %v", query, err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// WantAnswer checks that the API at apiURL answers query with 200 and want.
func WantAnswer(t testing.TB, apiURL, query, want string) {
	t.Helper()
	if status, body := Get(t, apiURL, query); status != http.StatusOK || body != want {
		t.Fatalf("GET ?%s = %d %q, want 200 %q", query, status, body, want)
	}
}

// Connect opens a socket on the Socket.IO listener at ioURL.
func Connect(t testing.TB, ioURL string) *siotest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := siotest.Dial(ctx, ioURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Login connects a socket and logs it in as uid; it returns once the
// server has recorded the login (it answers with update_online_count).
func Login(t testing.TB, ioURL, uid string) *siotest.Client {
	t.Helper()
	c := Connect(t, ioURL)
	if err := c.Emit(server.EventLogin, uid); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Next(server.EventOnlineCount, 5*time.Second); err != nil {
		t.Fatalf("login %s: %v", uid, err)
	}
	return c
}

// ReceiveOnce checks that c gets new_msg with want exactly once: a second
// copy within a short quiet period fails the test. who names c.
func ReceiveOnce(t testing.TB, c *siotest.Client, who, want string) {
	t.Helper()
	e, err := c.Next(server.EventNewMsg, 5*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", who, err)
	}
	if got := e.Text(0); got != want {
		t.Fatalf("%s got new_msg %q, want %q", who, got, want)
	}
	if e, err := c.Next(server.EventNewMsg, 300*time.Millisecond); err == nil {
		t.Fatalf("%s got a second new_msg %q", who, e.Text(0))
	}
}
