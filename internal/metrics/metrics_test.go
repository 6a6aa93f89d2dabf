package metrics_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/test/metricstest"
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
}

// TestLabelledSeriesStartAtZero: before any event, every labelled series
// whose labels are known is exported at 0, so that alerts on refusals,
// drops by reason and Redis errors can be written (absent is not 0 to an
// alert rule).
func TestLabelledSeriesStartAtZero(t *testing.T) {
	t.Parallel()
	f := metricstest.Scrape(t, metrics.New("test").Handler())
	series := [][]string{}
	for _, r := range []string{"token_required", "bad_token", "token_expired", "token_not_yet_valid", "token_other_uid"} {
		series = append(series, []string{"pushio_login_refusals_total", "reason", r})
	}
	for _, r := range []string{"draining", "max_connections", "max_connections_per_ip", "connection_rate"} {
		series = append(series, []string{"pushio_connection_refusals_total", "reason", r})
	}
	for _, tr := range []string{"polling", "websocket"} {
		for _, p := range []string{"3", "4"} {
			series = append(series, []string{"pushio_connections", "transport", tr, "protocol", p})
		}
	}
	for _, op := range []string{"presence_heartbeat", "publish", "hmget", "ping"} {
		series = append(series, []string{"pushio_redis_errors_total", "op", op}, []string{"pushio_redis_duration_seconds", "op", op})
	}
	for _, s := range series {
		if !has(f, s[0], s[1:]...) {
			t.Errorf("%s%v not exported before its first event", s[0], s[1:])
		}
	}
	if f["go_goroutines"] == nil || f["process_open_fds"] == nil {
		t.Error("Go runtime and process metrics missing")
	}
}

// has reports whether name has a series with every given label pair.
func has(f metricstest.Families, name string, labelPairs ...string) bool {
	for _, m := range f[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		found := true
		for i := 0; i+1 < len(labelPairs); i += 2 {
			found = found && labels[labelPairs[i]] == labelPairs[i+1]
		}
		if found {
			return true
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
