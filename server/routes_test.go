package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestDemoJSON: the demo page learns the API port and the Socket.IO path
// from /demo.json, so it still connects when io.path is not /socket.io.
func TestDemoJSON(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, want string }{
		{path: "/socket.io", want: "/socket.io"},
		{path: "/push", want: "/push"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			it := startIOTest(t, Options{Path: tt.path, Demo: true, DemoAPIPort: "2121"})
			res, err := http.Get(it.URL + "/demo.json")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var got struct {
				APIPort string `json:"api_port"`
				Path    string `json:"path"`
			}
			if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
				t.Fatalf("GET /demo.json: %d, %v", res.StatusCode, err)
			}
			if got.APIPort != "2121" || got.Path != tt.want {
				t.Errorf("GET /demo.json = %+v, want api_port 2121 and path %q", got, tt.want)
			}
			// The path it names is where clients handshake.
			c := it.connect(t)
			if uid := "demo-user"; c.login(uid) == "" || !it.online(t, uid) {
				t.Errorf("a client on %s could not log in", tt.path)
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
