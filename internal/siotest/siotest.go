// Package siotest is a Socket.IO test client that keeps reading: it
// connects with eiotest, then a goroutine answers pings and queues events,
// so that a test can wait for events with timeouts again and again, emit
// while events arrive, answer acknowledgements and see a disconnection.
// (eiotest's client reads only when asked, and a timed-out read ends it.)
package siotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pushio/pushio/internal/eiotest"
)

// Event is one event a client received.
type Event struct{ eiotest.Event }

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
// path /socket.io/.
func Dial(ctx context.Context, base string) (*Client, error) {
	ec, err := eiotest.Dial(ctx, eiotest.URL(base, "/socket.io"), eiotest.Options{})
	if err != nil {
		return nil, fmt.Errorf("siotest: %w", err)
	}
	_ = ec.Conn.SetReadDeadline(time.Time{})
	c := &Client{conn: ec.Conn, events: make(chan Event, 1024), done: make(chan struct{})}
	go c.read()
	return c, nil
}

// DialEmit connects, emits event with args and waits for the server's
// reply event; it returns the client and the reply.
//
// It tries up to three times, for bare Socket.IO servers of the library
// (v3.0.6): they send the CONNECT answer before they register the socket,
// so an event sent at once in reply can be refused ("invalid state": the
// connection is closed) or reach no listener yet. pushio's server holds
// such events back (server/connectrace.go); a bare one does not.
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
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		msg := string(b)
		switch {
		case msg == "2":
			_ = c.write("3")
		case msg == "1" || strings.HasPrefix(msg, "41"):
			c.err = errors.New("closed by the server")
			return
		default:
			if e, ok, err := eiotest.ParseEvent(msg); ok && err == nil {
				select {
				case c.events <- Event{e}:
				default: // a test that stops reading loses events, not the connection
				}
			}
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
