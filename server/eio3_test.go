package server

import (
	"slices"
	"testing"
)

// TestEIO3Polling is a socket.io-client 2.x session over polling: the
// handshake, the automatic connect to "/", login, and a push.
func TestEIO3Polling(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, Options{})
	c := openPolling(t, ts.URL, "/socket.io/", 3)
	t.Cleanup(func() { c.send("1") }) // close
	open := c.open
	if upgrades, _ := open["upgrades"].([]any); !slices.Contains(upgrades, any("websocket")) {
		t.Errorf("open packet upgrades = %v, want websocket", open["upgrades"])
	}
	if got := open["pingInterval"]; got != 25000.0 {
		t.Errorf("pingInterval = %v, want 25000", got)
	}
	if got := c.next("40"); got != "40" {
		t.Errorf("connect packet = %q, want 40", got)
	}
	c.send(`42["login","eio3"]`)
	if got, want := c.next(`42["update_online_count"`), `42["update_online_count","\u5f53\u524d\u003cb\u003e0\u003c/b\u003e\u4eba\u5728\u7ebf\uff0c\u5171\u6253\u5f00\u003cb\u003e0\u003c/b\u003e\u4e2a\u9875\u9762"]`; got != want {
		t.Errorf("login answer = %s, want %s", got, want)
	}
	if got := ts.publish(t, "eio3", "你好 <3"); got != "ok" {
		t.Fatalf("publish = %s, want ok", got)
	}
	if got, want := c.next(`42["new_msg"`), `42["new_msg","\u4f60\u597d \u0026lt;3"]`; got != want {
		t.Errorf("new_msg = %s, want %s", got, want)
	}
}
