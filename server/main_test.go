package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/internal/testlog"
	"github.com/pushio/pushio/pushapi"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait of these tests.
const waitTimeout = 5 * time.Second

// manualCounts is a counts interval no test reaches: the test ticks the
// counts itself with tickCounts.
const manualCounts = time.Hour

// testServer is one pushio instance in process: the Socket.IO server and
// the publish API, each on 127.0.0.1:0, over the memory presence.
type testServer struct {
	*Server
	presence *memory.Presence
	ioHTTP   *httptest.Server
	apiHTTP  *httptest.Server
}

// startServer starts an instance that stops when the test ends.
func startServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	if opts.Path == "" {
		opts.Path = "/socket.io"
	}
	if opts.CountsInterval == 0 {
		opts.CountsInterval = manualCounts
	}
	p := memory.New()
	s := New(opts, p, testlog.Logger())
	ts := &testServer{Server: s, presence: p, ioHTTP: httptest.NewServer(s.Handler())}
	ts.apiHTTP = httptest.NewServer(pushapi.New(s, pushapi.Options{MaxBody: 1 << 20, MaxURL: 1 << 16}, testlog.Logger()))
	t.Cleanup(func() {
		ts.apiHTTP.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("closing the server: %v", err)
		}
		ts.ioHTTP.Close()
	})
	return ts
}

// call asks the publish API with query and returns its answer.
func (ts *testServer) call(t *testing.T, query url.Values) string {
	t.Helper()
	answer, err := ts.ask(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	return answer
}

// ask is call for goroutines other than the test's.
func (ts *testServer) ask(ctx context.Context, query url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.apiHTTP.URL+"/?"+query.Encode(), nil)
	if err != nil {
		return "", err
	}
	resp, err := ts.apiHTTP.Client().Do(req)
	if err != nil {
		return "", fmt.Errorf("publish API: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("publish API: reading the answer: %w", err)
	}
	return string(body), nil
}

// publish sends content to uid through the API ("" broadcasts).
func (ts *testServer) publish(t *testing.T, uid, content string) string {
	t.Helper()
	q := url.Values{"type": {"publish"}, "content": {content}}
	if uid != "" {
		q.Set("to", uid)
	}
	return ts.call(t, q)
}

// online asks the API whether uid is online.
func (ts *testServer) online(t *testing.T, uid string) string {
	t.Helper()
	return ts.call(t, url.Values{"type": {"online"}, "uid": {uid}})
}

// counts reads the presence figures.
func (ts *testServer) counts(t *testing.T) adapter.Counts {
	t.Helper()
	c, err := ts.presence.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
