package pushapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/test/testlog"
	"github.com/pushio/pushio/push"
)

// downPublisher fails every call while down is set.
type downPublisher struct {
	recorder
	down atomic.Bool
}

func (p *downPublisher) Send(ctx context.Context, reqs []push.Request) ([]push.Reach, error) {
	if p.down.Load() {
		return nil, errors.New("redis unreachable")
	}
	return p.recorder.Send(ctx, reqs)
}

func (p *downPublisher) Counts(ctx context.Context) (adapter.Counts, error) {
	if p.down.Load() {
		return adapter.Counts{}, errors.New("redis unreachable")
	}
	return p.recorder.Counts(ctx)
}

// Every request in an outage is answered 503 + fail, but the log gets one
// line for the outage and one for its end, not one per request.
func TestOutageLoggedOnce(t *testing.T) {
	t.Parallel()
	pub := &downPublisher{}
	var logs testlog.Buffer
	srv := httptest.NewServer(New(pub, Options{}, logs.Logger()))
	t.Cleanup(srv.Close)
	c := &http.Client{Timeout: 10 * time.Second}
	pub.down.Store(true)
	var wg sync.WaitGroup
	for _, q := range []string{"/?type=publish&to=a&content=x", "/?type=count"} {
		for range 20 {
			wg.Go(func() {
				resp, err := c.Get(srv.URL + q)
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusServiceUnavailable || string(body) != answerFail {
					t.Errorf("%s in an outage: %d %q", q, resp.StatusCode, body)
				}
			})
		}
	}
	wg.Wait()
	pub.down.Store(false)
	for range 3 {
		if a := do(t, c, get(t, srv.URL+"/?type=publish&to=a&content=x")); a.status != http.StatusOK {
			t.Fatalf("publish after the outage: %d %q", a.status, a.body)
		}
	}
	got := logs.Take()
	if n := strings.Count(got, `msg="api: publisher failed"`); n != 1 {
		t.Errorf("the outage was logged %d times, want once; log:\n%s", n, got)
	}
	if n := strings.Count(got, "publisher works again"); n != 1 {
		t.Errorf("its end was logged %d times, want once; log:\n%s", n, got)
	}
}
