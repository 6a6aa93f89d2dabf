// Package siotest is a Socket.IO test client that keeps reading: it
// connects with eiotest, then a goroutine answers pings and queues events
// by name, so that a test can wait for one kind of event with timeouts
// again and again while others arrive, check that something does not
// arrive, emit, answer acknowledgements, write frames no real client would
// and see a disconnection. (eiotest's client reads only when asked, and a
// timed-out read ends it.)
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

	"github.com/pushio/pushio/internal/test/eiotest"
)

// Event is one event a client received.
type Event struct {
	eiotest.Event
	// Raw is the websocket frame as the server sent it.
	Raw string
}

// Text is argument i as a string, or "" when it is not one.
func (e Event) Text(i int) string {
	var s string
	if i < len(e.Args) {
		_ = json.Unmarshal(e.Args[i], &s)
	}
	return s
}

// OnlyText is the event's one argument, which must be a string.
func (e Event) OnlyText() (string, error) {
	var s string
	if len(e.Args) != 1 || json.Unmarshal(e.Args[0], &s) != nil {
		return "", fmt.Errorf("siotest: %s arrived as %s, want one string argument", e.Name, e.Raw)
	}
	return s, nil
}

// Client is one connected socket. Its methods are safe for concurrent use.
type Client struct {
	// SID is the Engine.IO session id.
	SID string

	conn *websocket.Conn
	wmu  sync.Mutex // one writer at a time

	mu     sync.Mutex
	queues map[string]chan Event // received events by name

	done      chan struct{}
	err       error // why the read loop ended; read after done
	closeOnce sync.Once
}

// Dial connects to the Socket.IO server at base (http://host:port) on
// path /socket.io/.
func Dial(ctx context.Context, base string) (*Client, error) {
	ec, err := eiotest.Dial(ctx, eiotest.URL(base, "/socket.io"), eiotest.Options{})
	if err != nil {
		return nil, fmt.Errorf("siotest: %w", err)
	}
	return New(ec), nil
}

// New starts reading on a client eiotest has connected; from then on only
// the returned Client may use its connection.
func New(ec *eiotest.Client) *Client {
	_ = ec.Conn.SetReadDeadline(time.Time{})
	c := &Client{SID: ec.SID, conn: ec.Conn, queues: map[string]chan Event{}, done: make(chan struct{})}
	go c.read()
	return c
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

// Write sends one websocket message of kind (websocket.TextMessage or
// BinaryMessage) as it is, for frames no real client would send.
func (c *Client) Write(kind int, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.conn.WriteMessage(kind, data); err != nil {
		return fmt.Errorf("siotest: writing: %w", err)
	}
	return nil
}

// Send sends one text frame as it is.
func (c *Client) Send(frame string) error {
	return c.Write(websocket.TextMessage, []byte(frame))
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
			_ = c.Send("3")
		case msg == "1" || strings.HasPrefix(msg, "41"):
			c.err = errors.New("closed by the server")
			return
		default:
			if e, ok, err := eiotest.ParseEvent(msg); ok && err == nil {
				select {
				case c.queue(e.Name) <- Event{Event: e, Raw: msg}:
				default: // a test that stops reading loses events, not the connection
				}
			}
		}
	}
}

// queue is where events called name wait to be read.
func (c *Client) queue(name string) chan Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queues[name]
	if q == nil {
		q = make(chan Event, 1024)
		c.queues[name] = q
	}
	return q
}

// Emit sends an event with JSON-encodable arguments.
func (c *Client) Emit(event string, args ...any) error {
	b, err := json.Marshal(append([]any{event}, args...))
	if err != nil {
		return fmt.Errorf("siotest: encoding %s: %w", event, err)
	}
	return c.Send("42" + string(b))
}

// Ack answers an event that asked for an acknowledgement.
func (c *Client) Ack(e Event, args ...any) error {
	b, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("siotest: encoding an ack: %w", err)
	}
	return c.Send("43" + e.AckID + string(b))
}

// Next returns the next event called name, or an error when none comes
// within timeout or the connection ends. Events of other names stay
// queued for their own Next.
func (c *Client) Next(name string, timeout time.Duration) (Event, error) {
	q := c.queue(name)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case e := <-q:
		return e, nil
	case <-c.done:
		select { // what came before the end still counts
		case e := <-q:
			return e, nil
		default:
			return Event{}, fmt.Errorf("siotest: waiting for %s: connection ended: %v", name, c.err)
		}
	case <-t.C:
		return Event{}, fmt.Errorf("siotest: no %s within %s", name, timeout)
	}
}

// None checks that no event called name arrives within d (or is queued
// already).
func (c *Client) None(name string, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case e := <-c.queue(name):
		return fmt.Errorf("siotest: unexpected %s", e.Raw)
	case <-t.C:
		return nil
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

// Close disconnects the namespace, as a client library does, then drops
// the connection.
func (c *Client) Close() {
	_ = c.Send("41")
	c.Drop()
}

// Drop closes the connection without a word, as a closed browser tab
// does, and waits for the reader to stop. Calling it again does nothing.
func (c *Client) Drop() {
	c.closeOnce.Do(func() { _ = c.conn.Close() })
	<-c.done
}
