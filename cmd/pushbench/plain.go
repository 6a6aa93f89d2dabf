package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Pages without a Socket.IO client (-transport ws, sse and mix), as a
// browser's own WebSocket and EventSource are: a ws page gets a welcome,
// sends {"event":"login","data":"UID"} and is logged in at its first
// update_online_count; an sse page logs in with the uid in its URL.
// Both are read by the same epoll readers as websocket clients.

// Client kinds, the -transport values of one page each.
const (
	kindSocketIO = "websocket"
	kindPolling  = "polling"
	kindWS       = "ws"
	kindSSE      = "sse"
	// kindMix gives client g the kind mixKinds[g%3].
	kindMix = "mix"
)

var (
	transports = []string{kindSocketIO, kindPolling, kindWS, kindSSE, kindMix}
	mixKinds   = []string{kindSocketIO, kindWS, kindSSE}
)

// kindOf is the kind of client number g.
func kindOf(transport string, g int) string {
	if transport == kindMix {
		return mixKinds[g%len(mixKinds)]
	}
	return transport
}

// A ws page's frames from the server are {"event":"NAME","data":VALUE},
// pushes and counts in that order of keys (read without decoding); the
// welcome's keys come in another order, decoded.
var (
	plainEventPrefix = []byte(`{"event":"`)
	plainDataSep     = []byte(`","data":`)
)

// handlePlainFrame handles one text frame of a ws page.
func (c *client) handlePlainFrame(msg []byte) error {
	rest, ok := bytes.CutPrefix(msg, plainEventPrefix)
	if i := bytes.Index(rest, plainDataSep); ok && i >= 0 && bytes.HasSuffix(rest, []byte("}")) {
		data := rest[i+len(plainDataSep) : len(rest)-1]
		if len(data) >= 2 && data[0] == '"' && data[len(data)-1] == '"' {
			data = data[1 : len(data)-1] // a string, still JSON-escaped
		}
		return c.handleEvent(rest[:i], data)
	}
	var m struct {
		Event string
		Data  json.RawMessage
	}
	if err := json.Unmarshal(msg, &m); err != nil || m.Event == "" {
		return fmt.Errorf("malformed frame: %q", msg)
	}
	return c.handleEvent([]byte(m.Event), m.Data)
}

// handleEvent handles one event of a ws page or an sse page: the welcome
// (a ws page logs in then), the counts (the first after the login is its
// answer), a push, or a refused login.
func (c *client) handleEvent(event, data []byte) error {
	switch string(event) {
	case "new_msg":
		c.newMsg(data, time.Now(), &c.seen)
	case "update_online_count":
		if c.state == stLogging {
			c.state = stReady
			c.loggedIn()
		}
	case "welcome":
		if c.state == stOpening {
			c.state = stLogging
			return c.write(plainLogin(c.uid))
		}
	case "login_error":
		return fmt.Errorf("login refused: %s", data)
	}
	return nil
}

// plainLogin is {"event":"login","data":"UID"} (uids are plain ASCII).
func plainLogin(uid string) []byte {
	return []byte(`{"event":"login","data":"` + uid + `"}`)
}

// dialEventStream opens path?uid=UID on addr as EventSource does.
func dialEventStream(ctx context.Context, d *net.Dialer, r *readers, addr, path, uid string, timeout time.Duration) (*wsTransport, error) {
	return dialStream(ctx, d, r, addr, timeout, true, func(t *wsTransport) error {
		req := "GET " + path + "?uid=" + url.QueryEscape(uid) + " HTTP/1.1\r\nHost: " + addr +
			"\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
		if _, err := io.WriteString(t.nc, req); err != nil {
			return fmt.Errorf("sending the event stream request: %w", err)
		}
		resp, err := t.readHead()
		if err != nil {
			return fmt.Errorf("reading the event stream's answer: %w", err)
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			return fmt.Errorf("event stream answered %s (%s)", resp.Status, resp.Header.Get("Content-Type"))
		}
		return nil
	})
}

// consumeEvents handles every whole event in t.buf (each ends with a
// blank line; pushio writes LF line ends) and keeps the rest. Comments
// (the heartbeat), retry: and id: lines are skipped.
func (t *wsTransport) consumeEvents() error {
	b := t.buf
	for {
		end := bytes.Index(b, []byte("\n\n"))
		if end < 0 {
			break
		}
		var event, data []byte
		for line := range bytes.SplitSeq(b[:end], []byte("\n")) {
			switch {
			case bytes.HasPrefix(line, []byte("event: ")):
				event = line[len("event: "):]
			case bytes.HasPrefix(line, []byte("data: ")):
				if data != nil { // a copy: data is in b
					data = append(append(bytes.Clone(data), '\n'), line[len("data: "):]...)
				} else {
					data = line[len("data: "):]
				}
			}
		}
		b = b[end+2:]
		if event != nil {
			if err := t.c.handleEvent(event, data); err != nil {
				return err
			}
		}
	}
	if len(b) > maxFrame {
		return errFrameTooLarge
	}
	t.keep(b)
	return nil
}
