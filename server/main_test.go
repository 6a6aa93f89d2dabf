package server

import (
	"context"
	"fmt"
	"github.com/gin-gonic/gin"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/testlog"
	"github.com/pushio/pushio/pushapi"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode) // as the binary runs it, without debug route logs
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait of these tests.
const waitTimeout = 5 * time.Second

// manualCounts is a counts interval no test reaches: the test ticks the
// counts itself with tickCounts.
const manualCounts = time.Hour

// testServer is an ioTest with the publish API in front of it, as
// cmd/pushio wires them: a push goes from an HTTP request to a socket.
type testServer struct {
	*ioTest
	api *httptest.Server
}

// startPushio starts an instance that stops when the test ends; unless
// opts ask otherwise, the counts are ticked by hand.
func startPushio(t *testing.T, opts Options) *testServer {
	t.Helper()
	if opts.Counts.Interval == 0 {
		opts.Counts.Interval = manualCounts
	}
	it := startIOTest(t, opts)
	api := httptest.NewServer(pushapi.New(it.Server, pushapi.Options{Requests: settings.Requests{MaxBody: 1 << 20, MaxURL: 1 << 16}}, testlog.Logger()))
	t.Cleanup(api.Close)
	return &testServer{ioTest: it, api: api}
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.api.URL+"/?"+query.Encode(), nil)
	if err != nil {
		return "", err
	}
	resp, err := ts.api.Client().Do(req)
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

// apiOnline asks the API whether uid is online.
func (ts *testServer) apiOnline(t *testing.T, uid string) string {
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
