package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// eio3Client speaks Engine.IO 3 over polling with text payloads (b64=1),
// as socket.io-client 1.x and 2.x do before upgrading.
type eio3Client struct {
	t      *testing.T
	client *http.Client
	url    string   // with the sid once open
	queue  []string // packets received and not yet read
}

func (ts *testServer) dialEIO3(t *testing.T) (*eio3Client, map[string]any) {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c := &eio3Client{t: t, client: &http.Client{Transport: tr}, url: ts.URL + "/socket.io/?EIO=3&transport=polling&b64=1"}
	packets := c.poll()
	var open map[string]any
	if !strings.HasPrefix(packets[0], "0{") || json.Unmarshal([]byte(packets[0][1:]), &open) != nil {
		t.Fatalf("Engine.IO 3 open packet = %q", packets[0])
	}
	sid, _ := open["sid"].(string)
	if sid == "" {
		t.Fatalf("open packet without a sid: %q", packets[0])
	}
	c.url += "&sid=" + sid
	c.queue = packets[1:]
	t.Cleanup(func() { c.post("1") }) // close
	return c, open
}

// poll GETs the next payload; call it only when the server has something
// to send, as a poll otherwise waits for the ping interval.
func (c *eio3Client) poll() []string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), waitTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("polling: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("polling: %d %q %v", resp.StatusCode, body, err)
	}
	return decodeEIO3Payload(c.t, string(body))
}

// post sends packets in one payload (also from a cleanup, after the
// test's context ends).
func (c *eio3Client) post(packets ...string) {
	c.t.Helper()
	var payload strings.Builder
	for _, p := range packets {
		fmt.Fprintf(&payload, "%d:%s", len(p), p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(payload.String()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("posting %q: %v", packets, err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		c.t.Fatalf("posting %q: %d %q", packets, resp.StatusCode, body)
	}
}

// next returns the next packet starting with prefix, polling as needed
// and dropping others.
func (c *eio3Client) next(prefix string) string {
	c.t.Helper()
	for range 10 {
		for len(c.queue) > 0 {
			p := c.queue[0]
			c.queue = c.queue[1:]
			if strings.HasPrefix(p, prefix) {
				return p
			}
		}
		c.queue = c.poll()
	}
	c.t.Fatalf("no packet starting %q in 10 polls", prefix)
	return ""
}

// decodeEIO3Payload splits a text payload: <length>:<packet>, repeated.
// Lengths count characters; pushio's packets are ASCII.
func decodeEIO3Payload(t *testing.T, payload string) []string {
	t.Helper()
	var packets []string
	for payload != "" {
		n, rest, ok := strings.Cut(payload, ":")
		size, err := strconv.Atoi(n)
		if !ok || err != nil || size > len(rest) {
			t.Fatalf("malformed Engine.IO 3 payload at %q", payload)
		}
		packets = append(packets, rest[:size])
		payload = rest[size:]
	}
	if len(packets) == 0 {
		t.Fatal("empty Engine.IO 3 payload")
	}
	return packets
}

// TestEIO3Polling is a socket.io-client 2.x session over polling: the
// handshake, the automatic connect to "/", login, and a push.
func TestEIO3Polling(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, Options{})
	c, open := ts.dialEIO3(t)
	if upgrades, _ := open["upgrades"].([]any); !slices.Contains(upgrades, any("websocket")) {
		t.Errorf("open packet upgrades = %v, want websocket", open["upgrades"])
	}
	if got := open["pingInterval"]; got != 25000.0 {
		t.Errorf("pingInterval = %v, want 25000", got)
	}
	if got := c.next("40"); got != "40" {
		t.Errorf("connect packet = %q, want 40", got)
	}
	c.post(`42["login","eio3"]`)
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
