package wsconn

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzHandshake feeds Upgrade handshakes with any method and header
// values: it refuses what is not a valid handshake with 400, and never
// takes a connection it was not given (the recorder cannot be hijacked).
func FuzzHandshake(f *testing.F) {
	f.Add("GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==")
	f.Add("GET", "WebSocket, h2c", "keep-alive, Upgrade", "13", "AAAAAAAAAAAAAAAAAAAAAA==")
	f.Add("POST", "websocket", "upgrade", "8", "short")
	f.Add("GET", "", "", "", "")
	f.Fuzz(func(t *testing.T, method, upgrade, connection, version, key string) {
		r := httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=websocket", nil)
		r.Method = method
		r.Header = http.Header{"Upgrade": {upgrade}, "Connection": {connection},
			"Sec-Websocket-Version": {version}, "Sec-Websocket-Key": {key}}
		w := httptest.NewRecorder()
		c, err := Upgrade(w, r, &Poller{})
		if c != nil || err == nil {
			t.Fatalf("Upgrade took a recorder: %v, %v", c, err)
		}
		if w.Code != http.StatusBadRequest {
			t.Fatalf("answered %d, want 400", w.Code)
		}
		if IsHandshake(r) && method != http.MethodGet {
			t.Fatalf("IsHandshake on a %q", method)
		}
	})
}
