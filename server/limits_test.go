package server

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/eiotest"
	"github.com/pushio/pushio/internal/test/testlog"
)

// refusedWith asserts that err is a handshake refused with status and a
// JSON error carrying message.
func refusedWith(t *testing.T, err error, status int, message string) {
	t.Helper()
	var he *eiotest.HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("got %v, want a refused handshake", err)
	}
	if he.Status != status || !strings.Contains(he.Body, `"message":"`+message+`"`) {
		t.Fatalf("refused with %d %s, want %d and message %q", he.Status, he.Body, status, message)
	}
}

// stillServed asserts that c still receives a broadcast.
func stillServed(t *testing.T, it *ioTest, c *eiotest.Client) {
	t.Helper()
	if _, err := it.Publish(context.Background(), nil, "still here"); err != nil {
		t.Fatal(err)
	}
	ev, err := c.NextNamed(ctxFor(t, 10*time.Second), EventNewMsg)
	if err != nil || string(ev.Args[0]) != `"still here"` {
		t.Fatalf("an admitted client missed a broadcast: %v %v", ev, err)
	}
}

func TestMaxConnections(t *testing.T) {
	it := startIOTest(t, Options{Limits: settings.Limits{MaxConnections: 3}})
	var clients []*eiotest.Client
	for range 3 {
		clients = append(clients, it.mustDial(t, eiotest.Options{}))
	}
	_, err := it.dial(t, eiotest.Options{LocalIP: "127.0.0.2"})
	refusedWith(t, err, http.StatusServiceUnavailable, "Too many connections")

	// A polling handshake is a new session too.
	resp, err := http.Get(it.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("polling handshake over the cap: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := it.count(t, "pushio_connection_refusals_total", "reason", refusedMaxConnections); n != 2 {
		t.Fatalf("counted %d refusals, want 2", n)
	}
	stillServed(t, it, clients[0])

	// A closed session gives its place back.
	_ = clients[2].Close()
	eventually(t, "a place after a close", func() bool {
		c, err := it.dial(t, eiotest.Options{})
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	})
}

func TestMaxConnectionsPerIP(t *testing.T) {
	it := startIOTest(t, Options{Limits: settings.Limits{MaxConnectionsPerIP: 2}})
	first := it.mustDial(t, eiotest.Options{})
	it.mustDial(t, eiotest.Options{})
	_, err := it.dial(t, eiotest.Options{})
	refusedWith(t, err, http.StatusTooManyRequests, "Too many connections from this address")
	other := it.mustDial(t, eiotest.Options{LocalIP: "127.0.0.2"})
	if n := it.count(t, "pushio_connection_refusals_total", "reason", refusedMaxPerIP); n != 1 {
		t.Fatalf("counted %d refusals, want 1", n)
	}
	stillServed(t, it, first)
	stillServed(t, it, other)
}

func TestConnectionRatePerIP(t *testing.T) {
	// A bucket of 3 that refills once in 1000 s: the 4th is too fast.
	it := startIOTest(t, Options{Limits: settings.Limits{ConnectionRatePerIP: 0.001, ConnectionBurstPerIP: 3}})
	var first *eiotest.Client
	for i := range 3 {
		c := it.mustDial(t, eiotest.Options{})
		if i == 0 {
			first = c
		} else {
			_ = c.Close()
		}
	}
	_, err := it.dial(t, eiotest.Options{})
	refusedWith(t, err, http.StatusTooManyRequests, "Connecting too fast")
	it.mustDial(t, eiotest.Options{LocalIP: "127.0.0.2"})
	if n := it.count(t, "pushio_connection_refusals_total", "reason", refusedRate); n != 1 {
		t.Fatalf("counted %d refusals, want 1", n)
	}
	stillServed(t, it, first)
}

func TestTrustedProxyAddress(t *testing.T) {
	it := startIOTest(t, Options{
		Limits:         settings.Limits{MaxConnectionsPerIP: 1},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	})
	xff := func(v string) eiotest.Options { return eiotest.Options{Header: http.Header{"X-Forwarded-For": {v}}} }
	it.mustDial(t, xff("203.0.113.7"))
	it.mustDial(t, xff("203.0.113.8"))
	_, err := it.dial(t, xff("198.51.100.1, 203.0.113.7"))
	refusedWith(t, err, http.StatusTooManyRequests, "Too many connections from this address")
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	cases := []struct {
		name, remote, xff, want string
	}{
		{"direct", "192.0.2.1:5000", "", "192.0.2.1"},
		{"untrusted peer's header ignored", "192.0.2.1:5000", "203.0.113.9", "192.0.2.1"},
		{"trusted proxy", "127.0.0.1:5000", "203.0.113.9", "203.0.113.9"},
		{"proxy chain", "10.1.1.1:5000", "198.51.100.3, 203.0.113.9, 10.2.2.2", "203.0.113.9"},
		{"trusted proxy without header", "10.1.1.1:5000", "", "10.1.1.1"},
		{"garbled header", "10.1.1.1:5000", "nonsense", "10.1.1.1"},
		{"ipv4-mapped", "[::ffff:192.0.2.1]:5000", "", "192.0.2.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if got := clientAddr(r, trusted).String(); got != tc.want {
				t.Fatalf("clientAddr = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestGateForgetsIdleAddresses(t *testing.T) {
	g := newGate(settings.Limits{MaxConnectionsPerIP: 5}, nil, testlog.Logger())
	addr := netip.MustParseAddr("192.0.2.1")
	tk, ref := g.admit(addr)
	if ref != nil {
		t.Fatal(ref.reason)
	}
	tk.release()
	tk.release() // twice counts once
	if g.total != 0 || len(g.addrs) != 0 {
		t.Fatalf("after release: total %d, %d addresses kept", g.total, len(g.addrs))
	}
}
