package pushapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
)

// logBuffer collects log lines from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns the lines written since the last take.
func (b *logBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// A Publisher outage is logged when it starts, reminded at most once per
// outageReminder, and logged when a call works again; nothing else.
func TestOutageLog(t *testing.T) {
	t.Parallel()
	down := errors.New("redis: connection refused")
	start := time.Unix(1_700_000_000, 0)
	steps := []struct {
		name string
		at   time.Duration // after start
		err  error         // nil: the call worked
		want string        // the message logged, "" for none
	}{
		{"served", 0, nil, ""},
		{"first failure", time.Second, down, `level=WARN msg="api: publish failed, answering fail until the publisher recovers"`},
		{"second failure", 2 * time.Second, down, ""},
		{"just before the minute", time.Minute, down, ""},
		{"a minute after the first", time.Minute + time.Second, down, `msg="api: publish still failing" down_for=1m0s failures=3`},
		{"right after the reminder", time.Minute + 2*time.Second, down, ""},
		{"back", time.Minute + 3*time.Second, nil, `level=INFO msg="api: publisher works again" down_for=1m2s failures_since_last_line=1`},
		{"still served", time.Minute + 4*time.Second, nil, ""},
		{"a new outage is logged again", time.Minute + 5*time.Second, down, `msg="api: publish failed`},
	}
	var o outageLog
	var logs logBuffer
	log := logs.logger()
	for _, s := range steps {
		if s.err != nil {
			o.failure(log, "publish", s.err, start.Add(s.at))
		} else {
			o.success(log, start.Add(s.at))
		}
		got := logs.take()
		if s.want == "" && got != "" || !strings.Contains(got, s.want) || strings.Count(got, "\n") > 1 {
			t.Errorf("%s: logged %q, want %q", s.name, got, s.want)
		}
	}
}

// downPublisher fails every call while down is set.
type downPublisher struct {
	recorder
	down atomic.Bool
}

func (p *downPublisher) Publish(ctx context.Context, to []string, content string) ([]bool, error) {
	if p.down.Load() {
		return nil, errors.New("redis unreachable")
	}
	return p.recorder.Publish(ctx, to, content)
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
	var logs logBuffer
	srv := httptest.NewServer(New(pub, Options{}, logs.logger()))
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
	got := logs.take()
	if n := strings.Count(got, "failed, answering fail"); n != 1 {
		t.Errorf("the outage was logged %d times, want once; log:\n%s", n, got)
	}
	if n := strings.Count(got, "publisher works again"); n != 1 {
		t.Errorf("its end was logged %d times, want once; log:\n%s", n, got)
	}
}
