package pushapi

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/metrics"
)

func TestAllowList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		allow []string
		from  string
		ok    bool
	}{
		{"empty list allows all", nil, "127.0.0.1", true},
		{"peer in a CIDR", []string{"10.0.0.0/8", "127.0.0.0/8"}, "127.0.0.1", true},
		{"peer is the single address", []string{"127.0.0.2/32"}, "127.0.0.2", true},
		{"other loopback address", []string{"127.0.0.2/32"}, "127.0.0.1", false},
		{"peer outside every CIDR", []string{"10.0.0.0/8", "::1/128"}, "127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var allow []netip.Prefix
			for _, s := range tt.allow {
				allow = append(allow, netip.MustParsePrefix(s))
			}
			rec, base := startAPI(t, Options{Access: Access{Allow: allow}, Metrics: metrics.New("test")})
			c := clientFrom(t, tt.from)
			got := do(t, c, get(t, base+"/?type=publish&to=on1&content=hi"))
			metricsAnswer := do(t, c, get(t, base+PathMetrics))
			if tt.ok {
				if got.status != 200 || got.body != answerOK || len(rec.published()) != 1 {
					t.Fatalf("publish: got %d %q, want 200 ok", got.status, got.body)
				}
				if metricsAnswer.status != 200 {
					t.Fatalf("/metrics: got %d, want 200", metricsAnswer.status)
				}
				return
			}
			assertRefused(t, got, http.StatusForbidden)
			if sent := rec.published(); len(sent) != 0 {
				t.Fatalf("published %v from a refused peer", sent)
			}
			if metricsAnswer.status != http.StatusForbidden {
				t.Fatalf("/metrics from a refused peer: got %d, want 403", metricsAnswer.status)
			}
			// Probes stay open to load balancers.
			for _, path := range []string{PathHealth, PathReady} {
				if got := do(t, c, get(t, base+path)); got.status != 200 {
					t.Errorf("%s from a refused peer: got %d, want 200", path, got.status)
				}
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	// A refill of one request per 1000 s: the burst is all a peer gets.
	rec, base := startAPI(t, Options{Access: Access{RateLimit: 0.001, RateBurst: 2}})
	a, b := clientFrom(t, "127.0.0.1"), clientFrom(t, "127.0.0.2")
	url := base + "/?type=publish&to=on1&content=hi"
	for i := range 2 {
		if got := do(t, a, get(t, url)); got.status != 200 || got.body != answerOK {
			t.Fatalf("request %d within the burst: got %d %q", i+1, got.status, got.body)
		}
	}
	assertRefused(t, do(t, a, get(t, url)), http.StatusTooManyRequests)
	if n := len(rec.published()); n != 2 {
		t.Fatalf("published %d times, want 2 (the refused one not)", n)
	}
	// Another client is not affected, and probes are not limited.
	if got := do(t, b, get(t, url)); got.status != 200 || got.body != answerOK {
		t.Fatalf("other client: got %d %q, want 200 ok", got.status, got.body)
	}
	if got := do(t, a, get(t, base+PathHealth)); got.status != 200 {
		t.Fatalf("%s of a limited client: got %d, want 200", PathHealth, got.status)
	}
}

// The limiter forgets peers beyond its bound instead of growing.
func TestPeerLimiterBound(t *testing.T) {
	t.Parallel()
	l := newPeerLimiter(0.001, 1)
	now := time.Now()
	for i := range maxLimitedPeers + 10 {
		addr := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.allow(addr, now)
	}
	if n := len(l.peers); n > maxLimitedPeers {
		t.Fatalf("tracks %d peers, bound is %d", n, maxLimitedPeers)
	}
	// IPv6 peers of one /64 share a bucket.
	l2 := newPeerLimiter(0.001, 1)
	if !l2.allow(netip.MustParseAddr("2001:db8::1"), now) || l2.allow(netip.MustParseAddr("2001:db8::2"), now) {
		t.Error("two addresses of one /64 got a bucket each")
	}
	if !l2.allow(netip.MustParseAddr("2001:db8:0:1::1"), now) {
		t.Error("another /64 was limited")
	}
}
