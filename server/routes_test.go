package server

import (
	"encoding/json"
	"net/http"
	"testing"
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
