package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/eiotest"
)

func TestMaxPayloadWebsocket(t *testing.T) {
	it := startIOTest(t, Options{Connection: settings.Connection{MaxPayload: 2048}})
	big := it.mustDial(t, eiotest.Options{})
	bystander := it.mustDial(t, eiotest.Options{})
	_ = big.Emit(EventLogin, strings.Repeat("x", 4096)) // the server may cut the write short
	if !big.Closed(ctxFor(t, 10*time.Second)) {
		t.Fatal("a client over io.max_payload stayed connected")
	}
	eventually(t, "the drop counted", func() bool { return it.count(t, "pushio_payload_too_large_drops_total") == 1 })
	stillServed(t, it, bystander)
}

// pollingSession opens an Engine.IO 4 polling session and connects the
// default namespace; it returns the session's URL.
func pollingSession(t *testing.T, base string) string {
	t.Helper()
	c := openPolling(t, base, "/socket.io/", 4)
	c.send("40")
	return c.url + "&sid=" + c.sid
}

// post sends body to url and returns the status; size -1 sends it chunked.
func post(t *testing.T, url string, body io.Reader, size int64) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.ContentLength = size
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestMaxPayloadPolling(t *testing.T) {
	it := startIOTest(t, Options{Connection: settings.Connection{MaxPayload: 2048}})
	bystander := it.mustDial(t, eiotest.Options{})
	msg := `42["login","` + strings.Repeat("x", 4096) + `"]`
	for _, tc := range []struct {
		name string
		size int64
	}{{"with a length", int64(len(msg))}, {"chunked", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			url := pollingSession(t, it.URL)
			if code := post(t, url, struct{ io.Reader }{strings.NewReader(msg)}, tc.size); code != http.StatusRequestEntityTooLarge {
				t.Fatalf("oversize POST: %d, want 413", code)
			}
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("the session survived its oversize message: GET %d", resp.StatusCode)
			}
		})
	}
	if n := it.count(t, "pushio_payload_too_large_drops_total"); n != 2 {
		t.Fatalf("counted %d drops, want 2", n)
	}
	// A message within the limit goes through on a fresh session.
	url := pollingSession(t, it.URL)
	if code := post(t, url, strings.NewReader(`42["login","p1"]`), -1); code != http.StatusOK {
		t.Fatalf("small chunked POST: %d", code)
	}
	eventually(t, "p1 online", func() bool { return it.online(t, "p1") })
	stillServed(t, it, bystander)
}

// TestSlowBody: a client that trickles a request body is cut off after
// Options.BodyTimeout, whatever the request, and nobody else notices. The
// io listener has no read timeout, so these connections stayed forever.
func TestSlowBody(t *testing.T) {
	const bodyTimeout = 300 * time.Millisecond
	it := startIOTest(t, Options{BodyTimeout: bodyTimeout})
	bystander := it.mustDial(t, eiotest.Options{})
	const polling = "/socket.io/?EIO=4&transport=polling"
	for _, tc := range []struct {
		name, method, path, framing string
	}{
		{"polling POST chunked", "POST", polling + "&sid=SID", "Transfer-Encoding: chunked\r\n\r\n1\r\n4\r\n"},
		{"polling POST with a length", "POST", polling + "&sid=SID", "Content-Length: 1000\r\n\r\n4"},
		{"POST to an unknown session", "POST", polling + "&sid=nope", "Content-Length: 1000\r\n\r\n4"},
		{"handshake with a body", "GET", polling, "Content-Length: 1000\r\n\r\n4"},
		{"another path", "POST", "/healthz", "Transfer-Encoding: chunked\r\n\r\n1\r\n4\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if strings.Contains(path, "SID") {
				path = strings.Replace(path, "SID", openPolling(t, it.URL, "/socket.io/", 4).sid, 1)
			}
			conn, err := net.Dial("tcp", strings.TrimPrefix(it.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = conn.Close() }()
			_, _ = fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n%s", tc.method, path, tc.framing)
			// The body never comes: the server must give up on it and close.
			_ = conn.SetReadDeadline(time.Now().Add(bodyTimeout + waitTimeout))
			start := time.Now()
			_, err = io.Copy(io.Discard, bufio.NewReader(conn))
			if err != nil {
				t.Fatalf("connection still open %v after the body stalled: %v", time.Since(start), err)
			}
		})
	}
	// A body sent at once still goes through.
	url := pollingSession(t, it.URL)
	if code := post(t, url, strings.NewReader(`42["login","quick"]`), -1); code != http.StatusOK {
		t.Fatalf("POST after the slow ones: %d", code)
	}
	eventually(t, "quick online", func() bool { return it.online(t, "quick") })
	stillServed(t, it, bystander)
}
