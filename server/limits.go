package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/netaddr"
	"github.com/pushio/pushio/internal/settings"
)

// idleSweep is how often addresses with no session and a full rate bucket
// are forgotten.
const idleSweep = time.Minute

// gate admits new Engine.IO sessions under the Limits and counts the open
// ones, per client address as netaddr.Key groups them (an IPv6 /64 is one
// client, as for the publish API's rate limit). A session holds a ticket from its handshake request to its close.
type gate struct {
	lim      settings.Limits
	m        *metrics.Metrics
	log      *slog.Logger
	draining atomic.Bool

	mu        sync.Mutex
	total     int
	addrs     map[netip.Addr]*addrState
	lastSweep time.Time
}

type addrState struct {
	conns   int
	limiter *rate.Limiter // nil when ConnectionRatePerIP is 0
}

// Reasons a handshake is refused, as the connection_refusals_total label
// (named in metrics, which exports each at zero from the start).
const (
	refusedDraining       = metrics.RefusedDraining
	refusedMaxConnections = metrics.RefusedMaxConnections
	refusedMaxPerIP       = metrics.RefusedMaxPerIP
	refusedRate           = metrics.RefusedRate
)

// refusal is the answer to a session the gate does not admit.
type refusal struct {
	reason  string
	status  int
	message string
}

var (
	refuseDraining = &refusal{refusedDraining, http.StatusServiceUnavailable, "Server is shutting down"}
	refuseMax      = &refusal{refusedMaxConnections, http.StatusServiceUnavailable, "Too many connections"}
	refusePerIP    = &refusal{refusedMaxPerIP, http.StatusTooManyRequests, "Too many connections from this address"}
	refuseRate     = &refusal{refusedRate, http.StatusTooManyRequests, "Connecting too fast"}
)

func newGate(lim settings.Limits, m *metrics.Metrics, log *slog.Logger) *gate {
	return &gate{lim: lim, m: m, log: log, addrs: make(map[netip.Addr]*addrState), lastSweep: time.Now()}
}

// ticket is one admitted session's place in the counts. The engine's
// connection event claims it; release gives it back once.
type ticket struct {
	g        *gate
	addr     netip.Addr
	claimed  atomic.Bool
	released atomic.Bool
}

func (t *ticket) release() {
	if t.released.CompareAndSwap(false, true) {
		t.g.leave(t.addr)
	}
}

// admit takes a ticket for the handshake r, carried in the returned
// request's context, or answers the refusal and returns nil. done gives the
// ticket back unless the engine's connection event claimed it for a session.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (_ *http.Request, done func()) {
	addr := netaddr.Key(clientAddr(r, s.opts.TrustedProxies))
	t, ref := s.gate.admit(addr)
	if ref != nil {
		s.gate.refuse(w, addr, ref)
		return nil, nil
	}
	return r.WithContext(withTicket(r.Context(), t)), func() {
		if !t.claimed.Load() {
			t.release()
		}
	}
}

// admit takes a place for a new session from addr or says why not.
func (g *gate) admit(addr netip.Addr) (*ticket, *refusal) {
	if g.draining.Load() {
		return nil, refuseDraining
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep()
	st := g.addrs[addr]
	if st == nil {
		st = &addrState{}
		if g.lim.ConnectionRatePerIP > 0 {
			st.limiter = rate.NewLimiter(rate.Limit(g.lim.ConnectionRatePerIP), max(g.lim.ConnectionBurstPerIP, 1))
		}
		g.addrs[addr] = st
	}
	var ref *refusal
	switch {
	case st.limiter != nil && !st.limiter.Allow():
		ref = refuseRate
	case g.lim.MaxConnectionsPerIP > 0 && st.conns >= g.lim.MaxConnectionsPerIP:
		ref = refusePerIP
	case g.lim.MaxConnections > 0 && g.total >= g.lim.MaxConnections:
		ref = refuseMax
	}
	if ref != nil {
		g.forgetIdle(addr, st)
		return nil, ref
	}
	st.conns++
	g.total++
	return &ticket{g: g, addr: addr}, nil
}

func (g *gate) leave(addr netip.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if st := g.addrs[addr]; st != nil {
		st.conns--
		g.forgetIdle(addr, st)
	}
}

// forgetIdle drops the state of an address that has no session and whose
// rate bucket, if any, is full again: it would be rebuilt the same.
func (g *gate) forgetIdle(addr netip.Addr, st *addrState) {
	if st.conns == 0 && (st.limiter == nil || st.limiter.Tokens() >= float64(st.limiter.Burst())) {
		delete(g.addrs, addr)
	}
}

// sweep runs forgetIdle over every address once per idleSweep; g.mu held.
func (g *gate) sweep() {
	if time.Since(g.lastSweep) < idleSweep {
		return
	}
	g.lastSweep = time.Now()
	for addr, st := range g.addrs {
		g.forgetIdle(addr, st)
	}
}

// refuse answers r with an Engine.IO-style JSON error, logs and counts it.
func (g *gate) refuse(w http.ResponseWriter, addr netip.Addr, ref *refusal) {
	g.log.Debug("connection refused", "reason", ref.reason, "ip", addr.String())
	g.m.ConnectionRefused(ref.reason)
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter(ref)))
	engine.Refuse(w, ref.status, engine.CodeBadRequest, ref.message)
}

func retryAfter(ref *refusal) int {
	if ref == refuseDraining {
		return 5
	}
	return 1
}

type ticketKey struct{}

// withTicket hands t to the engine's connection event through the request.
func withTicket(ctx context.Context, t *ticket) context.Context {
	return context.WithValue(ctx, ticketKey{}, t)
}

func ticketFrom(ctx context.Context) *ticket {
	t, _ := ctx.Value(ticketKey{}).(*ticket)
	return t
}

// clientAddr is the address the per-address limits count: the peer, or,
// when the peer is a trusted proxy, the rightmost X-Forwarded-For entry
// that is not one.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !isTrusted(peer, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer // a garbled header: count the proxy
		}
		if a = a.Unmap(); !isTrusted(a, trusted) {
			return a
		}
	}
	return peer
}

func parseAddr(hostport string) netip.Addr {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
