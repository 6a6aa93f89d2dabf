package e2e

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pushio/pushio/internal/test/e2etest"
)

// TestJSONPPolling: Engine.IO 3's JSONP polling (the j= parameter), which
// the original leaves hanging, is answered or refused, never left open.
// Every request is bounded by e2etest.HTTPClient's timeout.
func TestJSONPPolling(t *testing.T) {
	p := e2etest.StartPushio(t)
	base := p.IOURL() + "/socket.io/?EIO=3&transport=polling&j=0"

	status, body := e2etest.Call(t, http.MethodGet, base, "", "")
	m := sidRE.FindStringSubmatch(strings.ReplaceAll(body, `\"`, `"`))
	if status != http.StatusOK || !strings.HasPrefix(body, `___eio[0]("`) || !strings.HasSuffix(body, `");`) || m == nil {
		t.Fatalf("JSONP handshake: %d %q, want 200 ___eio[0](\"…sid…\");", status, body)
	}
	session := base + "&sid=" + m[1]
	form := "application/x-www-form-urlencoded"
	steps := []struct {
		name, method, target, body string
		status                     int
		answer                     string
	}{
		{"poll: the Socket.IO connect", "GET", session, "", 200, `___eio[0]("2:40");`},
		{"post a ping", "POST", session, "d=" + url.QueryEscape(eio3Payload("2")), 200, "ok"},
		{"poll: the pong", "GET", session, "", 200, `___eio[0]("1:3");`},
		{"post a login", "POST", session, "d=" + url.QueryEscape(eio3Payload(`42["login","jsonp"]`)), 200, "ok"},
		{"unknown session", "GET", base + "&sid=nope", "", 400, `{"code":1,"message":"Session ID unknown"}`},
	}
	for _, s := range steps {
		status, body := e2etest.Call(t, s.method, s.target, form, s.body)
		if status != s.status || strings.TrimSpace(body) != s.answer {
			t.Errorf("%s: %d %q, want %d %q", s.name, status, body, s.status, s.answer)
		}
	}
	e2etest.WaitOnline(t, p, "jsonp", "online", rawTimeout)
	if got := e2etest.Publish(t, p, "jsonp", e2etest.RichContent); got != "ok" {
		t.Fatalf("push to the JSONP client: %q", got)
	}
	// Non-ASCII arrives \u-escaped inside the JS string literal, as ASCII.
	status, body = e2etest.Call(t, http.MethodGet, session, "", "")
	if status != 200 || !strings.HasPrefix(body, `___eio[0]("`) || !strings.Contains(body, `new_msg`) ||
		!strings.Contains(body, `\\u4f60\\u597d`) {
		t.Errorf("poll for the push: %d %q, want a JSONP call carrying new_msg", status, body)
	}

	// Odd j values and Engine.IO 4 (which dropped JSONP): answered either
	// way, a script or a refusal, never left open.
	for _, q := range []string{"EIO=3&transport=polling&j=abc", "EIO=3&transport=polling&j=", "EIO=4&transport=polling&j=0"} {
		status, body := e2etest.Call(t, http.MethodGet, p.IOURL()+"/socket.io/?"+q, "", "")
		script := status == 200 && strings.HasPrefix(body, "___eio[")
		if !script && (status < 400 || status > 499) {
			t.Errorf("GET /socket.io/?%s: %d %q, want a JSONP script or a 4xx", q, status, body)
		}
	}
}

// eio3Payload frames one ASCII packet as Engine.IO 3's length:packet.
func eio3Payload(packet string) string {
	return strconv.Itoa(len(packet)) + ":" + packet
}
