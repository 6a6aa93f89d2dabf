// Package siotest is a minimal Socket.IO client for tests: Engine.IO 4 over
// a websocket, the default namespace, events in and out, pings answered.
// It stands in for a browser where a real npm client is not the point.
package siotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Event is one event a client received.
type Event struct {
	Name string
	Args []json.RawMessage
	// AckID is the id to answer with Ack when the server asked for an
	// acknowledgement, else "".
	AckID string
}

// Text is argument i as a string, or "" when it is not one.
func (e Event) Text(i int) string {
	var s string
	if i < len(e.Args) {
		_ = json.Unmarshal(e.Args[i], &s)
	}
	return s
}

// Client is one connected socket. Its methods are safe for concurrent use.
type Client struct {
	conn   *websocket.Conn
	wmu    sync.Mutex
	events chan Event
	done   chan struct{}
	err    error // why the read loop ended; read after done
}

// Dial connects to the Socket.IO server at base (http://host:port) on
// path /socket.io/ and waits for the namespace connection.
func Dial(ctx context.Context, base string) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("siotest: %w", err)
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = "/socket.io/"
	u.RawQuery = "EIO=4&transport=websocket"
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("siotest: dialing %s: %w", u, err)
	}
	c := &Client{conn: conn, events: make(chan Event, 1024), done: make(chan struct{})}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetReadDeadline(deadline)
	}
	if err := c.handshake(); err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Time{})
	go c.read()
	return c, nil
}

// DialEmit connects, emits event with args and waits for the server's
// reply event; it returns the client and the reply.
//
// It tries up to three times: the Socket.IO library (v3.0.6) sends its
// CONNECT answer before it registers the socket, so an event sent at once
// in reply can be refused ("invalid state": the connection is closed) or
// reach no listener yet. Seen about once in 30 connections under -race; a
// real page reconnects and sends it again the same way.
func DialEmit(ctx context.Context, base, reply, event string, args ...any) (*Client, Event, error) {
	var err error
	for range 3 {
		var c *Client
		if c, err = Dial(ctx, base); err != nil {
			return nil, Event{}, err
		}
		if err = c.Emit(event, args...); err == nil {
			var e Event
			if e, err = c.Next(reply, 2*time.Second); err == nil {
				return c, e, nil
			}
		}
		c.Close()
	}
	return nil, Event{}, fmt.Errorf("siotest: %s, waiting for %s: %w", event, reply, err)
}

// handshake reads the Engine.IO open packet, connects to the default
// namespace and reads the server's CONNECT.
func (c *Client) handshake() error {
	if msg, err := c.readText(); err != nil || !strings.HasPrefix(msg, "0") {
		return fmt.Errorf("siotest: engine.io open: %q, %v", msg, err)
	}
	if err := c.write("40"); err != nil {
		return err
	}
	if msg, err := c.readText(); err != nil || !strings.HasPrefix(msg, "40") {
		return fmt.Errorf("siotest: socket.io connect: %q, %v", msg, err)
	}
	return nil
}

func (c *Client) readText() (string, error) {
	_, b, err := c.conn.ReadMessage()
	return string(b), err
}

func (c *Client) write(msg string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		return fmt.Errorf("siotest: writing: %w", err)
	}
	return nil
}

// read answers pings and queues events until the connection ends.
func (c *Client) read() {
	defer close(c.done)
	for {
		msg, err := c.readText()
		if err != nil {
			c.err = err
			return
		}
		switch {
		case msg == "2":
			_ = c.write("3")
		case strings.HasPrefix(msg, "42"):
			// 42, the ack id if any, then the JSON array [name, args...]
			id, body, _ := strings.Cut(msg[2:], "[")
			var raw []json.RawMessage
			var name string
			if json.Unmarshal([]byte("["+body), &raw) != nil || len(raw) == 0 || json.Unmarshal(raw[0], &name) != nil {
				continue
			}
			select {
			case c.events <- Event{Name: name, Args: raw[1:], AckID: id}:
			default: // a test that stops reading loses events, not the connection
			}
		case msg == "1" || strings.HasPrefix(msg, "41"):
			c.err = errors.New("closed by the server")
			return
		}
	}
}

// Emit sends an event with JSON-encodable arguments.
func (c *Client) Emit(event string, args ...any) error {
	b, err := json.Marshal(append([]any{event}, args...))
	if err != nil {
		return fmt.Errorf("siotest: encoding %s: %w", event, err)
	}
	return c.write("42" + string(b))
}

// Ack answers an event that asked for an acknowledgement.
func (c *Client) Ack(e Event, args ...any) error {
	b, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("siotest: encoding an ack: %w", err)
	}
	return c.write("43" + e.AckID + string(b))
}

// Next returns the next event called name, skipping others, or an error
// when none comes within timeout or the connection ends.
func (c *Client) Next(name string, timeout time.Duration) (Event, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case e := <-c.events:
			if e.Name == name {
				return e, nil
			}
		case <-c.done:
			return Event{}, fmt.Errorf("siotest: waiting for %s: connection ended: %v", name, c.err)
		case <-t.C:
			return Event{}, fmt.Errorf("siotest: no %s within %s", name, timeout)
		}
	}
}

// Connected reports whether the connection is still open.
func (c *Client) Connected() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// Close disconnects the client and waits for its reader to stop.
func (c *Client) Close() {
	_ = c.write("41")
	_ = c.conn.Close()
	<-c.done
}
