package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/settings"
)

// TestDemoJSON: the demo page learns the API port, the Socket.IO path, the
// plain WebSocket and EventSource paths ("" when off) and
// whether the API wants a secret or a signature from /demo.json, so it
// still connects when io.path is not /socket.io and its curl hint shows
// where the credentials go. SetDemoAPIAuth changes the answer at once;
// it is never cached.
func TestDemoJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, ws, sse string
		auth          APIAuth
		want          string
	}{
		{"/socket.io", "/ws", "/events", APIAuth{}, `{"api_port":"2121","path":"/socket.io","ws_path":"/ws","sse_path":"/events","api_secret":false,"api_signature":false}`},
		{"/push", "/plain", "", APIAuth{}, `{"api_port":"2121","path":"/push","ws_path":"/plain","sse_path":"","api_secret":false,"api_signature":false}`},
		{"/socket.io", "/ws", "/events", APIAuth{Secret: true}, `{"api_port":"2121","path":"/socket.io","ws_path":"/ws","sse_path":"/events","api_secret":true,"api_signature":false}`},
		{"/socket.io", "", "/events", APIAuth{Secret: true, Signature: true}, `{"api_port":"2121","path":"/socket.io","ws_path":"","sse_path":"/events","api_secret":true,"api_signature":true}`},
	}
	get := func(t *testing.T, url string) string {
		t.Helper()
		res, err := http.Get(url + "/demo.json")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" ||
			res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET /demo.json: %d, Content-Type %q, Cache-Control %q", res.StatusCode,
				res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
		}
		return strings.TrimSpace(string(body))
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %+v", tt.path, tt.auth), func(t *testing.T) {
			t.Parallel()
			it := startIOTest(t, Options{SocketIO: settings.SocketIO{Path: tt.path, Demo: true}, DemoAPIPort: "2121",
				Wires: settings.Wires{WSPath: tt.ws, SSEPath: tt.sse}, DemoAPIAuth: tt.auth})
			if got := get(t, it.URL); got != tt.want {
				t.Errorf("GET /demo.json = %s, want %s", got, tt.want)
			}
			// The path it names is where clients handshake.
			c := it.connect(t)
			if uid := "demo-user"; c.login(uid) == "" || !it.online(t, uid) {
				t.Errorf("a client on %s could not log in", tt.path)
			}
			// A reload's change shows in the next answer.
			it.SetDemoAPIAuth(APIAuth{Secret: !tt.auth.Secret})
			want := fmt.Sprintf(`{"api_port":"2121","path":%q,"ws_path":%q,"sse_path":%q,"api_secret":%t,"api_signature":false}`,
				tt.path, tt.ws, tt.sse, !tt.auth.Secret)
			if got := get(t, it.URL); got != want {
				t.Errorf("after SetDemoAPIAuth, GET /demo.json = %s, want %s", got, want)
			}
		})
	}
}

// TestProbes: the io port's /healthz says the process is alive, always;
// its /readyz says whether it takes new connections, which stops with a
// drain.
func TestProbes(t *testing.T) {
	t.Parallel()
	it := startIOTest(t, Options{})
	probe := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(it.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	tests := []struct {
		path, when string
		status     int
		body       string
	}{
		{"/healthz", "before", http.StatusOK, "ok\n"},
		{"/readyz", "before", http.StatusOK, "ok\n"},
		{"/healthz", "draining", http.StatusOK, "ok\n"},
		{"/readyz", "draining", http.StatusServiceUnavailable, "not ready: draining\n"},
	}
	for _, tt := range tests {
		if tt.when == "draining" && !it.Draining() {
			// No session to close: the drain only changes the state.
			if err := it.Drain(context.Background(), time.Second); err != nil {
				t.Fatal(err)
			}
		}
		if status, body := probe(tt.path); status != tt.status || body != tt.body {
			t.Errorf("%s %s: %d %q, want %d %q", tt.when, tt.path, status, body, tt.status, tt.body)
		}
	}
}
