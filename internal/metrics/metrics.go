// Package metrics is pushio's Prometheus instrumentation: one registry of
// its own (not the library's global one), the counters, gauges and
// histograms the other packages feed, and the /metrics handler.
//
// Every method works on a nil *Metrics and then does nothing, so packages
// and their tests can run without metrics.
package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace starts every metric name.
const Namespace = "pushio"

// Publish results, the values of pushio_publishes_total's result label.
const (
	ResultOK           = "ok"
	ResultOffline      = "offline"
	ResultFail         = "fail"
	ResultUnauthorized = "unauthorized"
	ResultLimited      = "limited"
)

// Label values known in advance. Each of their series is exported at zero
// from the start, so that rate() and alerts see it before its first event.
var (
	// Results are the values of pushio_publishes_total's result label.
	Results = []string{ResultOK, ResultOffline, ResultFail, ResultUnauthorized, ResultLimited}
	// Transports and Protocols label pushio_connections of Socket.IO;
	// the pages of the plain wires are counted under PlainTransports with
	// the protocol "none".
	Transports      = []string{"polling", "websocket"}
	Protocols       = []int{3, 4}
	PlainTransports = []string{"plain_websocket", "sse"}
	// LoginRefusalReasons label pushio_login_refusals_total (server's
	// LoginError labels).
	LoginRefusalReasons = []string{"token_required", "bad_token", "token_expired", "token_not_yet_valid", "token_other_uid"}
	// ConnectionRefusalReasons label pushio_connection_refusals_total.
	ConnectionRefusalReasons = []string{RefusedDraining, RefusedMaxConnections, RefusedMaxPerIP, RefusedRate}
	// RecoveryResults label pushio_recoveries_total.
	RecoveryResults = []string{"recovered", "failed"}
	// RedisOps are the op labels of the Redis calls pushio makes on every
	// instance (others, from Node peers' requests, appear when made).
	RedisOps = []string{"presence_change", "presence_heartbeat", "presence_sync", "presence_remove", "held_take", "held_publish", "recovery_park", "recovery_append", "recovery_take", "hmget", "pipeline", "publish", "ping"}
)

// Reasons a handshake is refused, the connection_refusals_total label.
const (
	RefusedDraining       = "draining"
	RefusedMaxConnections = "max_connections"
	RefusedMaxPerIP       = "max_connections_per_ip"
	RefusedRate           = "connection_rate"
)

// durationBuckets suit both a fan-out and a Redis call: 100µs to about 1s.
var durationBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}

// Metrics holds every pushio metric. Create it with New; a nil *Metrics is
// a valid no-op.
type Metrics struct {
	reg *prometheus.Registry

	connections   *prometheus.GaugeVec
	publishes     *prometheus.CounterVec
	published     map[string]prometheus.Counter // publishes by result, looked up once
	delivered     prometheus.Counter
	fanout        prometheus.Histogram
	redisErrors   *prometheus.CounterVec
	redisDuration *prometheus.HistogramVec
	slowDrops     prometheus.Counter
	payloadDrops  prometheus.Counter
	loginRefused  *prometheus.CounterVec
	recoveries    *prometheus.CounterVec
	connRefused   *prometheus.CounterVec
	held          prometheus.Counter
	heldDropped   prometheus.Counter
	heldDelivered prometheus.Counter

	// online reports the cluster-wide uids and pages at scrape time.
	online atomic.Pointer[func() (uids, pages int64)]
}

// New registers every metric on a fresh registry, with version as the
// build_info label.
func New(version string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := factory{m.reg}
	m.connections = f.gaugeVec("connections",
		"Open Socket.IO connections on this instance, by transport and Engine.IO protocol (3: socket.io-client 1.x/2.x, 4: 3.x/4.x).",
		"transport", "protocol")
	m.publishes = f.counterVec("publishes_total",
		"Publish API answers by result: ok and offline for publishes; fail, unauthorized (401/403) and limited (429) for every request so answered, whatever its type.",
		"result")
	m.published = make(map[string]prometheus.Counter, len(Results))
	for _, r := range Results {
		m.published[r] = m.publishes.WithLabelValues(r)
	}
	m.delivered = f.counter("messages_delivered_total",
		"new_msg messages handed to a connection of this instance (one per socket reached).")
	m.fanout = f.histogram("fanout_duration_seconds",
		"Time to hand one publish to every local socket it reaches (and to the adapter for other instances).")
	m.redisErrors = f.counterVec("redis_errors_total", "Failed Redis calls, by operation.", "op")
	m.redisDuration = f.histogramVec("redis_duration_seconds", "Redis call latency, by operation.", "op")
	m.slowDrops = f.counter("slow_client_drops_total",
		"Connections dropped because they could not keep up with their messages.")
	m.payloadDrops = f.counter("payload_too_large_drops_total",
		"Connections closed for sending a message larger than io.max_payload.")
	m.loginRefused = f.counterVec("login_refusals_total", "Refused logins, by reason.", "reason")
	m.recoveries = f.counterVec("recoveries_total", "Pages that claimed their session back (connection state recovery), by result: recovered, or failed (a normal connect).", "result")
	m.connRefused = f.counterVec("connection_refusals_total", "Refused connections, by reason.", "reason")
	m.held = f.counter("held_total",
		"Messages held for an offline uid (one per uid), by the publishes of this instance and for the pushes a leaving page of this instance missed.")
	m.heldDropped = f.counter("held_dropped_total",
		"Held messages dropped before their ttl by hold.max_messages or hold.max_bytes (the oldest of a uid first), or not held for being larger than hold.max_bytes.")
	m.heldDelivered = f.counter("held_delivered_total",
		"Held messages handed to a page of this instance right after its login.")
	f.gaugeFunc("online_uids", "Logged-in uids in the whole cluster (the same on every instance).",
		func() float64 { u, _ := m.onlineNow(); return float64(u) })
	f.gaugeFunc("online_pages", "Logged-in sockets (pages) in the whole cluster (the same on every instance).",
		func() float64 { _, p := m.onlineNow(); return float64(p) })
	info := f.gaugeVec("build_info", "Always 1; the labels name the build.", "version", "goversion")
	info.WithLabelValues(version, runtime.Version()).Set(1)
	m.zero()
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// zero creates every series whose labels are known in advance (above).
func (m *Metrics) zero() {
	for _, t := range Transports {
		for _, p := range Protocols {
			m.connections.WithLabelValues(t, strconv.Itoa(p))
		}
	}
	for _, t := range PlainTransports {
		m.connections.WithLabelValues(t, noProtocol)
	}
	for _, r := range LoginRefusalReasons {
		m.loginRefused.WithLabelValues(r)
	}
	for _, r := range ConnectionRefusalReasons {
		m.connRefused.WithLabelValues(r)
	}
	for _, r := range RecoveryResults {
		m.recoveries.WithLabelValues(r)
	}
	for _, op := range RedisOps {
		m.redisErrors.WithLabelValues(op)
		m.redisDuration.WithLabelValues(op)
	}
}

// Handler serves the registry in the Prometheus text format; a nil
// Metrics answers 404.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ConnectionOpened counts a new connection on transport (polling,
// websocket) with Engine.IO protocol 3 or 4.
func (m *Metrics) ConnectionOpened(transport string, protocol int) {
	if m == nil {
		return
	}
	m.connections.WithLabelValues(transport, strconv.Itoa(protocol)).Inc()
}

// ConnectionClosed undoes ConnectionOpened.
func (m *Metrics) ConnectionClosed(transport string, protocol int) {
	if m == nil {
		return
	}
	m.connections.WithLabelValues(transport, strconv.Itoa(protocol)).Dec()
}

// noProtocol is the protocol label of the plain wires' pages.
const noProtocol = "none"

// PageOpened counts a new page of a plain wire (PlainTransports).
func (m *Metrics) PageOpened(transport string) {
	if m == nil {
		return
	}
	m.connections.WithLabelValues(transport, noProtocol).Inc()
}

// PageClosed undoes PageOpened.
func (m *Metrics) PageClosed(transport string) {
	if m == nil {
		return
	}
	m.connections.WithLabelValues(transport, noProtocol).Dec()
}

// SetOnlineSource names the function that reports the cluster-wide
// logged-in uids and pages when /metrics is scraped.
func (m *Metrics) SetOnlineSource(f func() (uids, pages int64)) {
	if m == nil {
		return
	}
	m.online.Store(&f)
}

func (m *Metrics) onlineNow() (uids, pages int64) {
	if f := m.online.Load(); f != nil {
		return (*f)()
	}
	return 0, 0
}

// Published counts one publish API answer; result is one of the Result
// constants.
func (m *Metrics) Published(result string) {
	if m == nil {
		return
	}
	if c, ok := m.published[result]; ok {
		c.Inc()
		return
	}
	m.publishes.WithLabelValues(result).Inc()
}

// Delivered counts n new_msg handed to connections, one each.
func (m *Metrics) Delivered(n int) {
	if m == nil {
		return
	}
	m.delivered.Add(float64(n))
}

// ObserveFanout records how long one publish took to hand out.
func (m *Metrics) ObserveFanout(d time.Duration) {
	if m == nil {
		return
	}
	m.fanout.Observe(d.Seconds())
}

// ObserveRedis records one Redis call of kind op (e.g. "join", "publish")
// that took d, counting it as an error when err is not nil.
func (m *Metrics) ObserveRedis(op string, d time.Duration, err error) {
	if m == nil {
		return
	}
	m.redisDuration.WithLabelValues(op).Observe(d.Seconds())
	if err != nil {
		m.redisErrors.WithLabelValues(op).Inc()
	}
}

// SlowClientDropped counts a connection dropped for not keeping up.
func (m *Metrics) SlowClientDropped() {
	if m == nil {
		return
	}
	m.slowDrops.Inc()
}

// PayloadTooLarge counts a connection closed for an oversize message.
func (m *Metrics) PayloadTooLarge() {
	if m == nil {
		return
	}
	m.payloadDrops.Inc()
}

// LoginRefused counts a refused login; reason is a short fixed word
// (e.g. "bad_token"), never a uid, to keep the label set small.
func (m *Metrics) LoginRefused(reason string) {
	if m == nil {
		return
	}
	m.loginRefused.WithLabelValues(reason).Inc()
}

// Recovery counts a page's claim of its session: recovered, or failed.
func (m *Metrics) Recovery(recovered bool) {
	if m == nil {
		return
	}
	result := RecoveryResults[1]
	if recovered {
		result = RecoveryResults[0]
	}
	m.recoveries.WithLabelValues(result).Inc()
}

// ConnectionRefused counts a refused connection; reason is a short fixed
// word (e.g. "per_ip_limit").
func (m *Metrics) ConnectionRefused(reason string) {
	if m == nil {
		return
	}
	m.connRefused.WithLabelValues(reason).Inc()
}

// Held counts held messages: n held for offline uids, dropped by the
// limits.
func (m *Metrics) Held(n, dropped int) {
	if m == nil {
		return
	}
	m.held.Add(float64(n))
	m.heldDropped.Add(float64(dropped))
}

// HeldDelivered counts n held messages handed to a page at its login.
func (m *Metrics) HeldDelivered(n int) {
	if m == nil {
		return
	}
	m.heldDelivered.Add(float64(n))
}
