package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/eiotest"
)

func TestMaxPayloadWebsocket(t *testing.T) {
	it := startIOTest(t, Options{MaxPayload: 2048})
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
	it := startIOTest(t, Options{MaxPayload: 2048})
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
