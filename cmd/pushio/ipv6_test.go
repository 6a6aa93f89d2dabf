package main

import (
	"net/http"
	"testing"
)

// TestIOLimitsGroupIPv6By64: behind a trusted proxy, handshakes from
// addresses of one IPv6 /64 share one rate bucket (a client rotating
// addresses inside its /64 is limited), as the API's rate limit does; an
// address of another /64 has its own.
func TestIOLimitsGroupIPv6By64(t *testing.T) {
	t.Parallel()
	c := startChild(t, writeFile(t, t.TempDir(), "config.yaml",
		"io:\n  trusted_proxies: [\"127.0.0.1\"]\n  connection_rate_per_ip: 0.001\n  connection_burst_per_ip: 1\n"))
	steps := []struct {
		from string
		want int
	}{
		{"2001:db8:1:2::1", http.StatusOK},
		{"2001:db8:1:2::2", http.StatusTooManyRequests}, // the same /64
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", http.StatusTooManyRequests},
		{"2001:db8:1:3::1", http.StatusOK}, // another /64
	}
	for _, s := range steps {
		req, err := http.NewRequest(http.MethodGet, c.IOURL()+"/socket.io/?EIO=4&transport=polling", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", s.from)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != s.want {
			t.Errorf("handshake from %s: %d, want %d", s.from, resp.StatusCode, s.want)
		}
	}
}
