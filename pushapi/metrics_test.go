package pushapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/metricstest"
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

// TestEveryFailCounted: every answer fail moves
// pushio_publishes_total{result="fail"} by one, whatever the method, the
// type or the reason (a PUT, an unknown type and an online without uid
// were not counted).
func TestEveryFailCounted(t *testing.T) {
	t.Parallel()
	_, base := startAPI(t, Options{Requests: settings.Requests{MaxBody: 1024, MaxURL: 512}, Metrics: metrics.New("test")})
	tests := []struct {
		name string
		req  func() *http.Request
	}{
		{"PUT", func() *http.Request {
			r := get(t, base+"/?type=publish&content=x")
			r.Method = http.MethodPut
			return r
		}},
		{"POST to a probe", func() *http.Request { return postForm(t, base+PathHealth, nil) }},
		{"unknown type", func() *http.Request { return get(t, base+"/?type=bogus") }},
		{"no type", func() *http.Request { return get(t, base+"/") }},
		{"online without uid", func() *http.Request { return get(t, base+"/?type=online") }},
		{"content array", func() *http.Request { return get(t, base+"/?type=publish&content[]=x") }},
		{"URL too long", func() *http.Request { return get(t, base+"/?type=publish&content="+strings.Repeat("x", 600)) }},
		{"body too large", func() *http.Request {
			return postBody(t, base+"/", "application/x-www-form-urlencoded", "content="+strings.Repeat("x", 2000))
		}},
		{"malformed body", func() *http.Request { return postBody(t, base+"/", "application/json", "{") }},
	}
	fails := scrape(t, base).Value("pushio_publishes_total", "result", metrics.ResultFail)
	for _, tt := range tests {
		if got := do(t, http.DefaultClient, tt.req()); got.body != answerFail {
			t.Fatalf("%s: answer %q, want fail", tt.name, got.body)
		}
		fails++
		if got := scrape(t, base).Value("pushio_publishes_total", "result", metrics.ResultFail); got != fails {
			t.Errorf("after %s: fail = %v, want %v", tt.name, got, fails)
			fails = got
		}
	}
}
