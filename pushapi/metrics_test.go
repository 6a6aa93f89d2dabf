package pushapi

import (
	"net/http"
	"testing"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/metrics/metricstest"
)

// Each publish answer moves its counter on /metrics, parsed with the
// Prometheus text parser.
func TestPublishMetrics(t *testing.T) {
	t.Parallel()
	_, base := startAPI(t, Options{
		Access:  Access{Secret: testSecret, RateLimit: 0.001, RateBurst: 5},
		Metrics: metrics.New("test"),
	})
	auth := "&secret=" + testSecret
	steps := []struct {
		url    string
		result string
	}{
		{"/?type=publish&to=on1&content=hi" + auth, metrics.ResultOK},
		{"/?type=publish&to=off1&content=hi" + auth, metrics.ResultOffline},
		{"/?type=publish&to=on1&content[]=hi" + auth, metrics.ResultFail},
		{"/?type=publish&to=on1&content=hi&secret=wrong", metrics.ResultUnauthorized},
		{"/?type=online&uid=on1" + auth, ""}, // not a publish: no count
		{"/?type=publish&to=on1&content=hi" + auth, metrics.ResultLimited},
	}
	want := map[string]float64{}
	for _, s := range steps {
		do(t, http.DefaultClient, get(t, base+s.url))
		if s.result != "" {
			want[s.result]++
		}
		got := scrape(t, base)
		for _, r := range []string{metrics.ResultOK, metrics.ResultOffline, metrics.ResultFail, metrics.ResultUnauthorized, metrics.ResultLimited} {
			if v := got.Value("pushio_publishes_total", "result", r); v != want[r] {
				t.Fatalf("after %s: pushio_publishes_total{result=%q} = %v, want %v", s.url, r, v, want[r])
			}
		}
	}
}

func scrape(t *testing.T, base string) metricstest.Families {
	t.Helper()
	resp, err := http.Get(base + PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	return metricstest.Parse(t, resp.Body)
}
