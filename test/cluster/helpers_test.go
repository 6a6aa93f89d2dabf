package cluster

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	redisadapter "github.com/pushio/pushio/adapter/redis"
	"github.com/pushio/pushio/internal/siotest"
	"github.com/pushio/pushio/pushapi"
	"github.com/pushio/pushio/server"
)

// callTimeout is redis.timeout in these tests.
const callTimeout = time.Second

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	goredis.SetLogger(quiet{}) // the tests stop Redis on purpose
	os.Exit(m.Run())
}

// testLog is quiet unless PUSHIO_TEST_LOG=1.
func testLog() *slog.Logger {
	if os.Getenv("PUSHIO_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// node is one in-process pushio instance: the Socket.IO server and the
// publish API on their own loopback listeners, on the Redis adapter.
type node struct {
	name string
	io   *httptest.Server
	api  *httptest.Server
}

// startNode starts an instance on the Redis at url, with keys under prefix.
func startNode(t *testing.T, url, prefix, name string, ttl time.Duration) *node {
	t.Helper()
	log := testLog().With("instance", name)
	client, err := redisadapter.NewClient(url, callTimeout)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	presence := redisadapter.NewPresence(ctx, client, redisadapter.PresenceOptions{
		Prefix: prefix, Instance: name, TTL: ttl, Timeout: callTimeout, Log: log,
	})
	fanout := redisadapter.NewFanout(client, redisadapter.FanoutOptions{
		Prefix: prefix, UID: name, Timeout: callTimeout, Log: log,
	})
	srv := server.New(server.Options{
		Path:           "/socket.io",
		CountsInterval: 100 * time.Millisecond,
		CallTimeout:    callTimeout,
		Adapter:        fanout,
	}, presence, log)
	api := pushapi.New(srv, pushapi.Options{CallTimeout: callTimeout, Ready: presence.Ready}, log)
	n := &node{name: name, io: httptest.NewServer(srv.Handler()), api: httptest.NewServer(api)}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n.api.Close()
		_ = srv.Close(ctx)
		n.io.Close()
		_ = presence.Close(ctx)
		_ = client.Close()
	})
	return n
}

// get calls the publish API of n with query and returns the status and body.
func get(t *testing.T, apiURL, query string) (int, string) {
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

// wantAnswer checks that the API of n answers query with want.
func wantAnswer(t *testing.T, apiURL, query, want string) {
	t.Helper()
	if status, body := get(t, apiURL, query); status != http.StatusOK || body != want {
		t.Fatalf("GET ?%s = %d %q, want 200 %q", query, status, body, want)
	}
}

// connect opens a socket on the Socket.IO listener at ioURL.
func connect(t *testing.T, ioURL string) *siotest.Client {
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

// login connects a socket and logs it in as uid; it returns once the
// server has recorded the login (it answers with update_online_count).
func login(t *testing.T, ioURL, uid string) *siotest.Client {
	t.Helper()
	c := connect(t, ioURL)
	if err := c.Emit(server.EventLogin, uid); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Next(server.EventOnlineCount, 5*time.Second); err != nil {
		t.Fatalf("login %s: %v", uid, err)
	}
	return c
}

// receiveOnce checks that c gets new_msg with want exactly once: a second
// copy within a short quiet period fails the test.
func receiveOnce(t *testing.T, c *siotest.Client, who, want string) {
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

// eventually polls cond every 20 ms until it holds, failing after within.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}
