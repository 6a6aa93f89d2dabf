package server

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/test/eiotest"
	"github.com/pushio/pushio/internal/test/metricstest"
	"github.com/pushio/pushio/internal/test/siotest"
	"github.com/pushio/pushio/internal/test/testlog"
	"github.com/pushio/pushio/push"
)

// ioTest is one in-process Server on 127.0.0.1:0 with memory presence and
// its own metrics.
type ioTest struct {
	*Server
	URL string // http://127.0.0.1:port
	m   *metrics.Metrics
}

func startIOTest(t *testing.T, opts Options) *ioTest {
	t.Helper()
	opts.Metrics = metrics.New("test")
	if opts.Path == "" {
		opts.Path = "/socket.io"
	}
	srv, err := New(opts, memory.New(), testlog.Logger())
	if err != nil {
		t.Fatal(err)
	}
	it := serveIOTest(t, srv)
	it.m = opts.Metrics
	return it
}

// serveIOTest serves srv on 127.0.0.1:0 until the test ends.
func serveIOTest(t *testing.T, srv *Server) *ioTest {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		_ = hs.Shutdown(ctx)
	})
	return &ioTest{Server: srv, URL: "http://" + ln.Addr().String()}
}

// dial connects a raw websocket client, closed at the end of the test.
func (it *ioTest) dial(t *testing.T, o eiotest.Options) (*eiotest.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := eiotest.Dial(ctx, eiotest.URL(it.URL, it.opts.Path), o)
	if err == nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, err
}

func (it *ioTest) mustDial(t *testing.T, o eiotest.Options) *eiotest.Client {
	t.Helper()
	c, err := it.dial(t, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// client is a siotest client whose waits fail the test that connected it.
type client struct {
	*siotest.Client
	t *testing.T
}

// connect connects a client to the main namespace; it is dropped when the
// test ends.
func (it *ioTest) connect(t *testing.T) *client {
	t.Helper()
	c := siotest.New(it.mustDial(t, eiotest.Options{}))
	t.Cleanup(c.Drop)
	return &client{Client: c, t: t}
}

// must fails the test on err.
func (c *client) must(err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
}

// nextEvent waits for the next event called name.
func (c *client) nextEvent(name string) siotest.Event {
	c.t.Helper()
	e, err := c.Next(name, waitTimeout)
	c.must(err)
	return e
}

// next waits for the next event called name and returns its one string
// argument.
func (c *client) next(name string) string {
	c.t.Helper()
	s, err := c.nextEvent(name).OnlyText()
	c.must(err)
	return s
}

// login emits login and returns the update_online_count the server
// answers it with, which also tells that the login was handled.
func (c *client) login(uid any) string {
	c.t.Helper()
	c.must(c.Emit(EventLogin, uid))
	return c.next(EventOnlineCount)
}

// online reports whether uid has a logged-in socket.
func (it *ioTest) online(t *testing.T, uid string) bool {
	t.Helper()
	r, err := it.Reach(context.Background(), push.Targets{UIDs: []string{uid}})
	if err != nil {
		t.Fatal(err)
	}
	return r.UIDs[0]
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// count reads a counter of the server's metrics.
func (it *ioTest) count(t *testing.T, name string, labels ...string) int {
	t.Helper()
	return int(metricstest.Scrape(t, it.m.Handler()).Value(name, labels...))
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
