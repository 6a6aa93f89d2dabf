package metrics_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/metrics/metricstest"
)

// feed calls every recording method once.
func feed(m *metrics.Metrics) {
	m.ConnectionOpened("polling", 4)
	m.ConnectionOpened("websocket", 3)
	m.ConnectionOpened("websocket", 3)
	m.ConnectionClosed("websocket", 3)
	m.SetOnlineSource(func() (int64, int64) { return 7, 9 })
	m.Published(metrics.ResultOffline)
	m.Delivered(1)
	m.Delivered(1)
	m.ObserveFanout(time.Millisecond)
	m.ObserveRedis("join", time.Millisecond, nil)
	m.ObserveRedis("join", time.Millisecond, errors.New("down"))
	m.SlowClientDropped()
	m.LoginRefused("bad_token")
	m.ConnectionRefused("per_ip_limit")
}

func TestNilIsNoOp(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	feed(m) // must not panic
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("nil Metrics handler: status %d, want 404", rec.Code)
	}
}

func TestRecordedValues(t *testing.T) {
	t.Parallel()
	m := metrics.New("v1.2.3")
	feed(m)
	f := metricstest.Scrape(t, m.Handler())
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"pushio_connections", []string{"transport", "polling", "protocol", "4"}, 1},
		{"pushio_connections", []string{"transport", "websocket", "protocol", "3"}, 1},
		{"pushio_online_uids", nil, 7},
		{"pushio_online_pages", nil, 9},
		{"pushio_publishes_total", []string{"result", "offline"}, 1},
		{"pushio_publishes_total", []string{"result", "ok"}, 0},
		{"pushio_messages_delivered_total", nil, 2},
		{"pushio_fanout_duration_seconds", nil, 1},
		{"pushio_redis_duration_seconds", []string{"op", "join"}, 2},
		{"pushio_redis_errors_total", []string{"op", "join"}, 1},
		{"pushio_slow_client_drops_total", nil, 1},
		{"pushio_login_refusals_total", []string{"reason", "bad_token"}, 1},
		{"pushio_connection_refusals_total", []string{"reason", "per_ip_limit"}, 1},
		{"pushio_build_info", []string{"version", "v1.2.3"}, 1},
	}
	for _, tt := range tests {
		if got := f.Value(tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	// Every publish result is exported from the start, so that rate()
	// works before the first of its kind.
	for _, r := range []string{"ok", "offline", "fail", "unauthorized", "limited"} {
		if !has(f, "pushio_publishes_total", "result", r) {
			t.Errorf("pushio_publishes_total{result=%q} not exported", r)
		}
	}
	if f["go_goroutines"] == nil || f["process_open_fds"] == nil {
		t.Error("Go runtime and process metrics missing")
	}
}

func has(f metricstest.Families, name, label, value string) bool {
	for _, m := range f[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				return true
			}
		}
	}
	return false
}

// Two Metrics have separate registries: neither sees the other's values,
// and creating a second does not panic on duplicate registration.
func TestOwnRegistry(t *testing.T) {
	t.Parallel()
	a, b := metrics.New("a"), metrics.New("b")
	a.Delivered(1)
	if got := metricstest.Scrape(t, b.Handler()).Value("pushio_messages_delivered_total"); got != 0 {
		t.Errorf("second registry sees the first's counter: %v", got)
	}
}
