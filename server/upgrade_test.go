package server

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A websocket upgrade reaches the engine with only the headers in use and
// a writer that lets go of net/http's once hijacked; other requests pass
// untouched.
func TestLeanUpgrade(t *testing.T) {
	t.Parallel()
	type seen struct {
		header        http.Header
		heldAfter     bool // the wrapper still refers to net/http's writer
		writeErr      error
		headerWrite   bool // Header() after the hijack is usable and private
		passedThrough bool
	}
	got := make(chan seen, 1)
	s := &Server{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lw, lr := s.leanUpgrade(w, r)
		if !websocket.IsWebSocketUpgrade(r) {
			got <- seen{passedThrough: lw == w && lr == r}
			return
		}
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		c, err := up.Upgrade(lw, lr, nil)
		if err != nil {
			t.Errorf("upgrade through the lean writer: %v", err)
			return
		}
		defer c.Close()
		u := lw.(*upgradeWriter)
		lw.Header().Set("X-After", "1")
		_, werr := lw.Write([]byte("late"))
		lw.WriteHeader(http.StatusTeapot) // must not panic nor write
		got <- seen{header: lr.Header, heldAfter: u.w != nil, writeErr: werr, headerWrite: lw.Header().Get("X-After") == "1"}
	}))
	defer ts.Close()

	h := http.Header{}
	h.Set("Origin", "http://example.com")
	h.Set("Cookie", "session=secret")
	h.Set("User-Agent", "test-agent")
	h.Set("X-Forwarded-For", "192.0.2.1")
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), h)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var sn seen
	select {
	case sn = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no upgrade seen")
	}
	for _, k := range []string{"Origin", "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version"} {
		if sn.header.Get(k) == "" {
			t.Errorf("header %s dropped; engine request headers: %v", k, sn.header)
		}
	}
	for _, k := range []string{"Cookie", "User-Agent", "X-Forwarded-For"} {
		if sn.header.Get(k) != "" {
			t.Errorf("header %s kept", k)
		}
	}
	if sn.heldAfter {
		t.Error("the writer still holds net/http's after the hijack")
	}
	if !errors.Is(sn.writeErr, http.ErrHijacked) {
		t.Errorf("Write after the hijack: %v, want http.ErrHijacked", sn.writeErr)
	}
	if !sn.headerWrite {
		t.Error("Header() after the hijack is not a usable map")
	}

	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if sn := <-got; !sn.passedThrough {
		t.Error("a plain request was not passed through untouched")
	}
}
