// Package eiotest is a raw Engine.IO 4 / Socket.IO 5 websocket client for
// tests. It speaks the wire protocol itself, so that a test decides when
// (and whether) a client reads, how large its buffers are and which
// address it comes from, which no real client library lets it do.
package eiotest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// Options shape a Dial; the zero value dials plainly.
type Options struct {
	// Auth is sent with the namespace connect (socket.io-client's auth).
	Auth map[string]any
	// Header is added to the handshake request.
	Header http.Header
	// TLS is the client configuration for wss URLs.
	TLS *tls.Config
	// LocalIP is the source address, e.g. 127.0.0.2 to be another client.
	LocalIP string
	// ReadBuffer, when set, is the socket's receive buffer in bytes, set
	// before connecting so that a client that stops reading stalls the
	// server's writes soon.
	ReadBuffer int
}

// Client is one connected Socket.IO client on the default namespace. Use
// it from one goroutine: reading answers pings, which writes.
type Client struct {
	Conn *websocket.Conn
	// SID is the Engine.IO session id.
	SID string
	// Connected is the server's answer to the namespace connect (40…).
	Connected string
}

// Event is one received Socket.IO event.
type Event struct {
	Name string
	Args []json.RawMessage
	// AckID is the id an acknowledgement answers (43<id>[…]) when the
	// server asked for one, else "".
	AckID string
	// Packet is the Socket.IO packet as the server sent it.
	Packet string
}

// ParseEvent reads an event packet: 42, an acknowledgement id if any, then
// the JSON array [name, args…]. ok is false for any other packet.
func ParseEvent(msg string) (ev Event, ok bool, err error) {
	if !strings.HasPrefix(msg, "42") {
		return Event{}, false, nil
	}
	id, body, _ := strings.Cut(msg[2:], "[")
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte("["+body), &raw); err != nil || len(raw) == 0 {
		return Event{}, true, fmt.Errorf("eiotest: bad event packet %q", msg)
	}
	if err := json.Unmarshal(raw[0], &ev.Name); err != nil {
		return Event{}, true, fmt.Errorf("eiotest: bad event name in %q", msg)
	}
	ev.Args, ev.AckID, ev.Packet = raw[1:], id, msg
	return ev, true, nil
}

// HandshakeError is a handshake the server answered with an HTTP error.
type HandshakeError struct {
	Status int
	Body   string
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("eiotest: handshake refused: %d %s", e.Status, e.Body)
}

// URL is the websocket handshake URL of a server at base (http://host:port
// or https://…) with Socket.IO at path.
func URL(base, path string) string {
	return strings.Replace(base, "http", "ws", 1) + path + "/?EIO=4&transport=websocket"
}

// Dial opens a websocket session at url and connects to the default
// namespace. A refused handshake is a *HandshakeError.
func Dial(ctx context.Context, url string, o Options) (*Client, error) {
	d := &websocket.Dialer{TLSClientConfig: o.TLS, HandshakeTimeout: 10 * time.Second}
	nd := &net.Dialer{Timeout: 10 * time.Second, Control: o.control}
	if o.LocalIP != "" {
		nd.LocalAddr = &net.TCPAddr{IP: net.ParseIP(o.LocalIP)}
	}
	d.NetDialContext = nd.DialContext
	conn, resp, err := d.DialContext(ctx, url, o.Header)
	if err != nil {
		if resp != nil {
			var body [512]byte
			n, _ := resp.Body.Read(body[:])
			_ = resp.Body.Close()
			return nil, &HandshakeError{Status: resp.StatusCode, Body: string(body[:n])}
		}
		return nil, fmt.Errorf("eiotest: dialing %s: %w", url, err)
	}
	c := &Client{Conn: conn}
	if err := c.connect(ctx, o.Auth); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return c, nil
}

func (o Options) control(_, _ string, rc syscall.RawConn) error {
	if o.ReadBuffer <= 0 {
		return nil
	}
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.ReadBuffer)
	})
	return errors.Join(err, serr)
}

// connect reads the Engine.IO open packet, then connects the namespace.
func (c *Client) connect(ctx context.Context, auth map[string]any) error {
	open, err := c.read(ctx)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(open, "0") {
		return fmt.Errorf("eiotest: want an open packet, got %q", open)
	}
	var hs struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal([]byte(open[1:]), &hs); err != nil {
		return fmt.Errorf("eiotest: reading the open packet %q: %w", open, err)
	}
	c.SID = hs.SID
	connect := "40"
	if auth != nil {
		b, _ := json.Marshal(auth)
		connect += string(b)
	}
	if err := c.Conn.WriteMessage(websocket.TextMessage, []byte(connect)); err != nil {
		return fmt.Errorf("eiotest: connecting the namespace: %w", err)
	}
	for {
		msg, err := c.read(ctx)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(msg, "40"):
			c.Connected = msg
			return nil
		case strings.HasPrefix(msg, "44"):
			return fmt.Errorf("eiotest: namespace connect refused: %s", msg[2:])
		}
	}
}

// Emit sends a Socket.IO event.
func (c *Client) Emit(name string, args ...any) error {
	b, err := json.Marshal(append([]any{name}, args...))
	if err != nil {
		return fmt.Errorf("eiotest: encoding %s: %w", name, err)
	}
	return c.Conn.WriteMessage(websocket.TextMessage, append([]byte("42"), b...))
}

// Next returns the next event, answering pings on the way; ctx bounds the
// wait. An error means the connection is gone (or ctx ended).
func (c *Client) Next(ctx context.Context) (Event, error) {
	for {
		msg, err := c.read(ctx)
		if err != nil {
			return Event{}, err
		}
		if ev, ok, err := ParseEvent(msg); ok {
			return ev, err
		}
	}
}

// NextNamed skips events until one called name arrives.
func (c *Client) NextNamed(ctx context.Context, name string) (Event, error) {
	for {
		ev, err := c.Next(ctx)
		if err != nil || ev.Name == name {
			return ev, err
		}
	}
}

// Closed waits until the server closes the connection, reading (and
// dropping) what arrives meanwhile; it is false when ctx ends first.
func (c *Client) Closed(ctx context.Context) bool {
	for {
		if _, err := c.read(ctx); err != nil {
			var ne net.Error
			return !errors.As(err, &ne) || !ne.Timeout()
		}
	}
}

// read returns the next Engine.IO text packet, answering a ping ("2")
// with a pong ("3") before returning it.
func (c *Client) read(ctx context.Context) (string, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	_ = c.Conn.SetReadDeadline(deadline)
	_, b, err := c.Conn.ReadMessage()
	if err != nil {
		return "", fmt.Errorf("eiotest: reading: %w", err)
	}
	msg := string(b)
	if msg == "2" {
		if err := c.Conn.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
			return "", fmt.Errorf("eiotest: answering a ping: %w", err)
		}
	}
	return msg, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.Conn.Close() }
