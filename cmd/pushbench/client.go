package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// One client is one connection speaking Engine.IO 4 and Socket.IO 5 as
// socket.io-client does with `transports: ["websocket"]` (or, with
// -transport polling, `["polling"]`: long-polling, never upgraded):
// open → connect to "/" → emit login → wait for update_online_count.
// Everything runs on the goroutine that reads, so writes need no lock.

// Packets, as they travel in websocket text frames.
var (
	pktOpen       = []byte("0")
	pktPing       = []byte("2")
	pktPong       = []byte("3")
	pktClose      = []byte("1")
	pktConnect    = []byte("40")
	pktConnectErr = []byte("44")
	pktCounts     = []byte(`42["update_online_count"`)
	pktNewMsg     = []byte(`42["new_msg","`)
)

// errServerClosed is an Engine.IO close packet from the server.
var errServerClosed = errors.New("server sent close")

type clientState uint8

const (
	stOpening clientState = iota // waiting for the Engine.IO open packet
	stJoining                    // sent 40, waiting for the namespace ack
	stLogging                    // sent login, waiting for update_online_count
	stReady                      // logged in
)

// transport carries one client's packets.
type transport interface {
	io.Closer
	SetReadDeadline(time.Time) error
	// send writes one packet.
	send(p []byte) error
	// serve reads packets and hands each to c.handle until that fails or
	// the connection does.
	serve(c *client) error
}

// client holds what one connection needs between packets; the goroutine
// that owns it calls t.serve.
type client struct {
	t     transport
	uid   string
	state clientState
	plain bool // a ws page's frames (plain.go), not Engine.IO packets
	// loggedIn is called once, when the first update_online_count arrives
	// after login.
	loggedIn func()
	// newMsg receives the content of each new_msg, still JSON-escaped,
	// and this client's count of broadcasts seen.
	newMsg func(content []byte, at time.Time, seen *int)
	seen   int // broadcasts are sent one after the other: the next one's SEQ
}

func (c *client) handle(msg []byte) error {
	if c.plain {
		return c.handlePlainFrame(msg)
	}
	switch {
	case bytes.Equal(msg, pktPing):
		return c.write(pktPong)
	case bytes.HasPrefix(msg, pktNewMsg):
		return c.onNewMsg(msg[len(pktNewMsg):])
	case bytes.HasPrefix(msg, pktCounts):
		if c.state == stLogging {
			c.state = stReady
			c.loggedIn()
		}
	case c.state == stOpening && bytes.HasPrefix(msg, pktOpen):
		c.state = stJoining
		return c.write(pktConnect)
	case c.state == stJoining && bytes.HasPrefix(msg, pktConnect):
		c.state = stLogging
		return c.write(loginPacket(c.uid))
	case bytes.HasPrefix(msg, pktConnectErr):
		return fmt.Errorf("namespace refused: %s", msg)
	case bytes.Equal(msg, pktClose):
		return errServerClosed
	}
	return nil
}

func (c *client) onNewMsg(rest []byte) error {
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return fmt.Errorf("malformed new_msg: %q", rest)
	}
	c.newMsg(rest[:end], time.Now(), &c.seen)
	return nil
}

// loginPacket is 42["login","UID"]; uids are plain ASCII here, where Go
// quoting and JSON agree.
func loginPacket(uid string) []byte {
	return append(strconv.AppendQuote([]byte(`42["login",`), uid), ']')
}

func (c *client) write(p []byte) error {
	if err := c.t.send(p); err != nil {
		return fmt.Errorf("writing %q: %w", p, err)
	}
	return nil
}
