package pushapi

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/testlog"
)

// SetAccess changes each access setting for the requests that follow,
// keeps the used signatures refused and, while the rate settings stay
// the same, each peer's count.
func TestSetAccess(t *testing.T) {
	t.Parallel()
	const otherSecret = "another-secret-0123456789"
	h := New(onlineRecorder("on1"), Options{Access: Access{Secret: testSecret}}, testlog.Logger())
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	base := srv.URL
	publish := base + "/?type=publish&to=on1&content=x"
	withSecret := func(secret string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			return withHeader(get(t, publish), "Authorization", "Bearer "+secret)
		}
	}
	signedURL := base + "/?" + form(signed("GET", "/", map[string]any{"type": "publish", "to": "on1", "content": "x"}, time.Now())).Encode()
	signedReq := func(t *testing.T) *http.Request { return get(t, signedURL) }
	open := func(t *testing.T) *http.Request { return get(t, publish) }
	elsewhere := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	sig := Access{Secret: testSecret, Signature: true, SignatureWindow: time.Minute}

	steps := []struct {
		name string
		set  *Access // applied before the request when not nil
		req  func(t *testing.T) *http.Request
		want int
	}{
		{"first secret", nil, withSecret(testSecret), http.StatusOK},
		{"other secret before the change", nil, withSecret(otherSecret), http.StatusUnauthorized},
		{"old secret after the change", &Access{Secret: otherSecret}, withSecret(testSecret), http.StatusUnauthorized},
		{"new secret after the change", nil, withSecret(otherSecret), http.StatusOK},
		{"signed", &sig, signedReq, http.StatusOK},
		{"replayed after a reload", &sig, signedReq, http.StatusUnauthorized},
		{"peer not allowed", &Access{Allow: elsewhere}, open, http.StatusForbidden},
		{"peer allowed again", &Access{}, open, http.StatusOK},
		{"within the rate", &Access{RateLimit: 0.001, RateBurst: 1}, open, http.StatusOK},
		{"over the rate", nil, open, http.StatusTooManyRequests},
		{"same rate, count kept", &Access{RateLimit: 0.001, RateBurst: 1, Secret: testSecret}, withSecret(testSecret), http.StatusTooManyRequests},
		{"new rate, count restarted", &Access{RateLimit: 0.001, RateBurst: 2}, open, http.StatusOK},
		{"no limit", &Access{}, open, http.StatusOK},
	}
	for _, s := range steps {
		if s.set != nil {
			h.SetAccess(*s.set)
		}
		got := do(t, http.DefaultClient, s.req(t))
		if got.status != s.want {
			t.Fatalf("%s: got %d %q, want %d", s.name, got.status, got.body, s.want)
		}
	}
}
