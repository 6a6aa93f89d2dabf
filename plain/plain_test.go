package plain

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/metricstest"
	pushpkg "github.com/pushio/pushio/push"
	"github.com/pushio/pushio/server"
)

func publish(t *testing.T, in *instance, to []string, content string) {
	t.Helper()
	if _, err := in.srv.Publish(t.Context(), to, content); err != nil {
		t.Fatal(err)
	}
}

func TestWebSocketPageGetsEveryTarget(t *testing.T) {
	t.Parallel()
	in := start(t, server.Options{}, Options{})
	a := in.dialWS(t, nil)
	a.login(`{"event":"login","data":"alice"}`)
	b := in.dialWS(t, nil)
	b.login(`{"event":"login","data":{"uid":42}}`)
	tests := []struct {
		name    string
		to      []string
		content string
		who     []*wsClient
	}{
		{"a uid", []string{"alice"}, `<b>"hi"</b>`, []*wsClient{a}},
		{"a numeric uid", []string{"42"}, "for 42", []*wsClient{b}},
		{"a client id", []string{b.id}, "only b", []*wsClient{b}},
		{"everyone", nil, "line 1\nline 2", []*wsClient{a, b}},
	}
	for _, tt := range tests {
		publish(t, in, tt.to, tt.content)
		for _, c := range tt.who {
			if p := c.next(); p.Event != server.EventNewMsg || p.text() != tt.content {
				t.Errorf("%s: got %s %s, want new_msg %q", tt.name, p.Event, p.Data, tt.content)
			}
		}
	}
	r, err := in.srv.Reach(t.Context(), pushpkg.Targets{UIDs: []string{"alice", "42", "bob"}})
	online := r.UIDs
	if err != nil || !online[0] || !online[1] || online[2] {
		t.Errorf("online = %v, %v; want alice and 42 online, bob not", online, err)
	}
	a.send(`{"event":"ping"}`)
	if p := a.next(); p.Event != "pong" {
		t.Errorf("ping answered with %s, want pong", p.Event)
	}
	a.send(`{"event":"something else","data":1}`) // ignored
	publish(t, in, []string{"alice"}, "still here")
	if p := a.next(); p.text() != "still here" {
		t.Errorf("after an unknown event: %s %s", p.Event, p.Data)
	}
}

func TestSignedLogins(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	in := start(t, server.Options{AuthSecret: secret}, Options{})
	tests := []struct {
		name, frame, want string // want: "" logs in, else the login_error
	}{
		{"no token", `{"event":"login","data":"u1"}`, "token required"},
		{"bad token", `{"event":"login","data":{"uid":"u1","token":"00"}}`, "bad token"},
		{"another uid's token", `{"event":"login","data":{"uid":"u1","token":"` + sign(secret, "u2") + `"}}`, "bad token"},
		{"signed", `{"event":"login","data":{"uid":"u1","token":"` + sign(secret, "u1") + `"}}`, ""},
	}
	for _, tt := range tests {
		c := in.dialWS(t, nil)
		c.send(tt.frame)
		p := c.next()
		switch {
		case tt.want == "" && p.Event != server.EventOnlineCount:
			t.Errorf("%s: got %s %s, want a login", tt.name, p.Event, p.Data)
		case tt.want != "" && (p.Event != server.EventLoginError || p.text() != tt.want):
			t.Errorf("%s: got %s %s, want login_error %q", tt.name, p.Event, p.Data, tt.want)
		}
	}
	// SSE: the login is the URL's; a refusal is 403 before any stream.
	refused := in.dialSSE(t, "uid=u1&token=00")
	if refused.resp.StatusCode != http.StatusForbidden {
		t.Errorf("SSE with a bad token: %d, want 403", refused.resp.StatusCode)
	}
	ok := in.dialSSE(t, "uid=u1&token="+sign(secret, "u1"))
	if ok.resp.StatusCode != http.StatusOK {
		t.Fatalf("SSE signed: %d", ok.resp.StatusCode)
	}
	ok.nextEvent() // retry
	ok.nextEvent() // welcome
	if e := ok.nextEvent(); e.name != server.EventOnlineCount {
		t.Errorf("SSE signed: %+v, want the counts", e)
	}
}

// TestHostileFrames: each bad frame closes its own connection with the
// code and a reason, and another page of the same uid is not affected.
func TestHostileFrames(t *testing.T) {
	t.Parallel()
	in := start(t, server.Options{}, Options{Connection: settings.Connection{MaxPayload: 64 << 10}})
	bystander := in.dialWS(t, nil)
	bystander.login(`{"event":"login","data":"u"}`)
	tests := []struct {
		name   string
		kind   int
		data   []byte
		code   int
		reason string
	}{
		{"binary", websocket.BinaryMessage, []byte(`{"event":"login","data":"u"}`), websocket.CloseUnsupportedData, "binary frames are not accepted"},
		{"invalid UTF-8", websocket.TextMessage, []byte{'{', 0xff, 0xfe, '}'}, websocket.CloseInvalidFramePayloadData, "text message is not UTF-8"},
		{"over max_payload", websocket.TextMessage, bytes.Repeat([]byte("a"), 64<<10+1), websocket.CloseMessageTooBig, "message too large"},
		{"not JSON", websocket.TextMessage, []byte(`{"event":`), websocket.CloseInvalidFramePayloadData, "frame is not JSON"},
		{"JSON not an object", websocket.TextMessage, []byte(`["login","u"]`), websocket.CloseInvalidFramePayloadData, "frame is not a JSON object"},
		{"a string", websocket.TextMessage, []byte(`"login"`), websocket.CloseInvalidFramePayloadData, "frame is not a JSON object"},
		{"no event", websocket.TextMessage, []byte(`{"data":"u"}`), websocket.CloseInvalidFramePayloadData, "frame has no event string"},
		{"event not a string", websocket.TextMessage, []byte(`{"event":1}`), websocket.CloseInvalidFramePayloadData, "frame has no event string"},
	}
	for _, tt := range tests {
		c := in.dialWS(t, nil)
		c.login(`{"event":"login","data":"u"}`)
		if err := c.c.WriteMessage(tt.kind, tt.data); err != nil {
			t.Fatal(err)
		}
		if code, reason := c.closeCode(); code != tt.code || reason != tt.reason {
			t.Errorf("%s: closed %d %q, want %d %q", tt.name, code, reason, tt.code, tt.reason)
		}
	}
	publish(t, in, []string{"u"}, "after")
	if p := bystander.next(); p.text() != "after" {
		t.Errorf("the bystander got %s %s", p.Event, p.Data)
	}
	eventually.True(t, waitTimeout, "the closed pages logged out", func() bool {
		c, _ := in.srv.Counts(t.Context())
		return c.Pages == 1
	})
}

func TestUnansweredPingsDropThePage(t *testing.T) {
	t.Parallel()
	in := start(t, server.Options{}, Options{Connection: settings.Connection{PingInterval: 200 * time.Millisecond, PingTimeout: 200 * time.Millisecond}})
	deaf := in.dialWS(t, nil)
	deaf.c.SetPingHandler(func(string) error { return nil }) // no pong
	deaf.login(`{"event":"login","data":"deaf"}`)
	alive := in.dialWS(t, nil) // gorilla answers pings while it reads
	alive.login(`{"event":"login","data":"alive"}`)
	go func() {
		for {
			if _, _, err := alive.c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	_ = deaf.c.SetReadDeadline(time.Now().Add(waitTimeout))
	for {
		if _, _, err := deaf.c.ReadMessage(); err != nil {
			break
		}
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("dropped after %s, before interval + timeout", d)
	}
	time.Sleep(600 * time.Millisecond) // three more intervals
	r, err := in.srv.Reach(t.Context(), pushpkg.Targets{UIDs: []string{"deaf", "alive"}})
	online := r.UIDs
	if err != nil || online[0] || !online[1] {
		t.Errorf("online = %v, %v; want deaf dropped and alive kept", online, err)
	}
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	in := start(t, server.Options{SocketIO: settings.SocketIO{CORSOrigins: []string{"https://app.example"}}},
		Options{Wires: settings.Wires{SSERetry: 1500 * time.Millisecond},
			Connection: settings.Connection{PingInterval: 300 * time.Millisecond, PingTimeout: 2 * time.Second}})
	sc := in.dialSSE(t, "uid=reader")
	h := sc.resp.Header
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") || h.Get("Cache-Control") != "no-cache" || h.Get("X-Accel-Buffering") != "no" {
		t.Errorf("headers %v", h)
	}
	if e := sc.nextEvent(); e.name != "retry" || e.data != "1500" {
		t.Errorf("first %+v, want retry 1500", e)
	}
	if e := sc.nextEvent(); e.name != "welcome" || !strings.HasPrefix(e.data, `{"client":"`) {
		t.Errorf("then %+v, want welcome", e)
	}
	if e := sc.nextEvent(); e.name != server.EventOnlineCount || !strings.Contains(e.data, "在线") {
		t.Errorf("then %+v, want the counts", e)
	}
	publish(t, in, []string{"reader"}, "one\ntwo\r\nthree\rfour")
	first := sc.nextEvent()
	if first.name != server.EventNewMsg || first.data != "one\ntwo\nthree\nfour" || first.id == "" {
		t.Errorf("push %+v: want new_msg, its four lines and an id", first)
	}
	publish(t, in, nil, "to all")
	if e := sc.nextEvent(); e.data != "to all" || e.id == first.id || e.id == "" {
		t.Errorf("broadcast %+v: want its own id", e)
	}
	if e := sc.next(); e.name != ":" {
		t.Errorf("idle: %+v, want a comment line", e)
	}
	if v := metricstest.Scrape(t, in.m.Handler()).Value("pushio_connections", "transport", "sse", "protocol", "none"); v != 1 {
		t.Errorf("pushio_connections{transport=sse} = %v, want 1", v)
	}

	// CORS: the io port's origins.
	req, _ := http.NewRequest(http.MethodGet, "http://"+in.addr+"/events", nil)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("another origin: %d, want 403", resp.StatusCode)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.addr+"/events", nil)
	req.Header.Set("Origin", "https://app.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("allowed origin: CORS headers %v", resp.Header)
	}
}

func TestLimitsCountEveryWire(t *testing.T) {
	t.Parallel()
	in := start(t, server.Options{Limits: settings.Limits{MaxConnections: 2}}, Options{})
	in.dialWS(t, nil)
	in.dialSSE(t, "uid=x").nextEvent()
	_, resp, err := websocket.DefaultDialer.Dial("ws://"+in.addr+"/ws", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a third page over WebSocket: %v %v, want 503", resp, err)
	}
	if sc := in.dialSSE(t, "uid=y"); sc.resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a third page over SSE: %d, want 503", sc.resp.StatusCode)
	}
}

func TestDrainClosesEveryWire(t *testing.T) {
	t.Parallel()
	in := start(t, server.Options{}, Options{})
	wc := in.dialWS(t, nil)
	wc.login(`{"event":"login","data":"u"}`)
	sc := in.dialSSE(t, "uid=u")
	sc.nextEvent()
	sc.nextEvent()
	sc.nextEvent()
	done := make(chan error, 1)
	go func() { done <- in.srv.Drain(t.Context(), 100*time.Millisecond) }()
	if code, _ := wc.closeCode(); code != websocket.CloseGoingAway {
		t.Errorf("WebSocket page closed with %d, want 1001", code)
	}
	timer := time.AfterFunc(waitTimeout, func() { _ = sc.resp.Body.Close() })
	defer timer.Stop()
	if _, err := sc.r.ReadString('\n'); err == nil {
		t.Error("the event stream goes on after the drain")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Drain did not return")
	}
	if c, _ := in.srv.Counts(t.Context()); c.Pages != 0 {
		t.Errorf("after the drain: %+v", c)
	}
}
