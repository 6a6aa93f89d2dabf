package pushapi

import (
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/netaddr"
)

// peerAddr is the address of the TCP peer: behind a proxy, the proxy's.
// Forwarded headers are never read, as a client could forge them.
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// allow refuses peers outside Access.Allow with 403 + fail.
func (a *api) allow(c *gin.Context) {
	prefixes := a.access.Load().Allow
	if len(prefixes) == 0 {
		return
	}
	peer := peerAddr(c.Request)
	for _, p := range prefixes {
		if p.Contains(peer) {
			return
		}
	}
	a.refused(c, "address not in api.allow")
	a.fail(c, http.StatusForbidden, metrics.ResultUnauthorized)
	c.Abort()
}

// rateLimit refuses a peer over Access.RateLimit with 429 + fail; other
// peers are not affected.
func (a *api) rateLimit(c *gin.Context) {
	l := a.access.Load().limiter
	if l == nil || l.allow(peerAddr(c.Request), time.Now()) {
		return
	}
	a.refused(c, "over api.rate_limit")
	a.fail(c, http.StatusTooManyRequests, metrics.ResultLimited)
	c.Abort()
}

// maxLimitedPeers bounds the peers whose rate is tracked at once.
const maxLimitedPeers = 1 << 16

// peerLimiter keeps one token bucket per peer as netaddr.Key groups them:
// per address for IPv4, per /64 for IPv6 (the io port's limits group the
// same way).
type peerLimiter struct {
	mu    sync.Mutex
	limit rate.Limit
	burst int
	peers map[netip.Addr]*rate.Limiter
}

func newPeerLimiter(perSecond float64, burst int) *peerLimiter {
	if burst <= 0 {
		burst = max(1, int(perSecond))
	}
	return &peerLimiter{limit: rate.Limit(perSecond), burst: burst, peers: make(map[netip.Addr]*rate.Limiter)}
}

func (l *peerLimiter) allow(peer netip.Addr, now time.Time) bool {
	peer = netaddr.Key(peer)
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.peers[peer]
	if lim == nil {
		if len(l.peers) >= maxLimitedPeers {
			l.evict(now)
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.peers[peer] = lim
	}
	return lim.AllowN(now, 1)
}

// evict forgets peers whose bucket is full again (a fresh one is the same),
// then, if that freed too little, arbitrary peers down to three quarters.
func (l *peerLimiter) evict(now time.Time) {
	for peer, lim := range l.peers {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.peers, peer)
		}
	}
	for peer := range l.peers {
		if len(l.peers) <= maxLimitedPeers*3/4 {
			break
		}
		delete(l.peers, peer)
	}
}
