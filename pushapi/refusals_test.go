package pushapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/test/metricstest"
	"github.com/pushio/pushio/internal/test/testlog"
)

// Refusals are logged within refusalLogRate; the next line after a burst
// says how many were not logged.
func TestRefusalLog(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_700_000_000, 0)
	steps := []struct {
		name   string
		at     time.Duration // after start
		n      int           // refusals at that instant
		lines  int           // lines they log
		detail string        // in the last line, "" for nothing to check
	}{
		{"one refusal", 0, 1, 1, `msg="api: refused request" peer=192.0.2.1:1234 reason="over api.rate_limit"`},
		{"a flood", time.Millisecond, 1000, refusalLogBurst - 1, ""},
		{"a second later", time.Second + time.Millisecond, 1, 1, "refusals_not_logged=981"},
		{"the count starts again", time.Second + 2*time.Millisecond, 1, 1, `reason="over api.rate_limit"`},
	}
	l := newRefusalLog()
	var logs testlog.Buffer
	log := logs.Logger()
	for _, s := range steps {
		for range s.n {
			l.refused(log, start.Add(s.at), "192.0.2.1:1234", "over api.rate_limit")
		}
		got := logs.Take()
		if n := strings.Count(got, "\n"); n != s.lines {
			t.Errorf("%s: %d lines, want %d:\n%s", s.name, n, s.lines, got)
		}
		lines := strings.Split(strings.TrimSpace(got), "\n")
		if last := lines[len(lines)-1]; !strings.HasSuffix(last, s.detail) {
			t.Errorf("%s: last line does not end with %q: %s", s.name, s.detail, last)
		}
	}
}

// A client hammering the API past api.rate_limit is refused every time and
// every refusal is counted, but the log gets a bounded number of lines.
func TestRefusalsLogBounded(t *testing.T) {
	t.Parallel()
	m := metrics.New("test")
	var logs testlog.Buffer
	srv := httptest.NewServer(New(&recorder{}, Options{Access: Access{RateLimit: 0.001, RateBurst: 1}, Metrics: m}, logs.Logger()))
	t.Cleanup(srv.Close)
	c := &http.Client{Timeout: 10 * time.Second}
	const requests = 500
	for range requests {
		_ = do(t, c, get(t, srv.URL+"/?type=count"))
	}
	if n := metricstest.Scrape(t, m.Handler()).Value("pushio_publishes_total", "result", "limited"); n != requests-1 {
		t.Errorf("counted %v refusals, want %d", n, requests-1)
	}
	// The burst, and what the rate allows for the test's own duration.
	if n := strings.Count(logs.Take(), "api: refused request"); n < 1 || n > refusalLogBurst+refusalLogRate*10 {
		t.Errorf("%d refusal lines for %d refusals", n, requests-1)
	}
}
