package server

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pushio/pushio/internal/eiotest"
)

// event is one Socket.IO event a client received.
type event struct {
	name string
	args []json.RawMessage
	raw  string // the websocket frame, as sent
}

// wsClient is an eiotest client that reads in the background: it answers
// pings and queues the events it receives by name, so that a test can wait
// for one kind of event while others arrive, check that something does not
// arrive, and write frames no real client would at any time.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	sid  string // the Engine.IO session id

	wmu    sync.Mutex // one writer at a time
	mu     sync.Mutex
	queues map[string]chan event // received events by name

	stop     chan struct{}
	done     chan struct{} // closed when the reader ends
	err      error         // why the reader ended; read after done
	stopOnce sync.Once
}

// connect connects a client to the main namespace; it is closed when the
// test ends.
func (ts *testServer) connect(t *testing.T) *wsClient {
	t.Helper()
	ec := ts.mustDial(t, eiotest.Options{})
	_ = ec.Conn.SetReadDeadline(time.Time{})
	c := &wsClient{t: t, conn: ec.Conn, sid: ec.SID, queues: map[string]chan event{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(c.close)
	return c
}

// readLoop answers pings and queues events until the connection ends.
func (c *wsClient) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		frame := string(data)
		switch {
		case frame == "2":
			_ = c.write(websocket.TextMessage, []byte("3"))
		case strings.HasPrefix(frame, "42["):
			var parts []json.RawMessage
			var name string
			if json.Unmarshal(data[2:], &parts) != nil || len(parts) == 0 || json.Unmarshal(parts[0], &name) != nil {
				name = "malformed"
			}
			select {
			case c.queue(name) <- event{name: name, args: parts[min(1, len(parts)):], raw: frame}:
			case <-c.stop:
				return
			}
		}
	}
}

func (c *wsClient) queue(name string) chan event {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queues[name]
	if q == nil {
		q = make(chan event, 1024)
		c.queues[name] = q
	}
	return q
}

func (c *wsClient) write(kind int, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
	return c.conn.WriteMessage(kind, data)
}

// send writes one text frame as it is.
func (c *wsClient) send(frame string) {
	c.t.Helper()
	if err := c.write(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatalf("sending %.40q: %v", frame, err)
	}
}

// emit sends a Socket.IO event with JSON-encoded arguments.
func (c *wsClient) emit(name string, args ...any) {
	c.t.Helper()
	data, err := json.Marshal(append([]any{name}, args...))
	if err != nil {
		c.t.Fatal(err)
	}
	c.send("42" + string(data))
}

// login emits login and returns the update_online_count the server
// answers it with, which also tells that the login was handled.
func (c *wsClient) login(uid any) string {
	c.t.Helper()
	c.emit(EventLogin, uid)
	return c.next(EventOnlineCount)
}

// nextEvent waits for the next event called name.
func (c *wsClient) nextEvent(name string) event {
	c.t.Helper()
	select {
	case ev := <-c.queue(name):
		return ev
	case <-c.done:
		c.t.Fatalf("connection closed while waiting for %s: %v", name, c.err)
	case <-time.After(waitTimeout):
		c.t.Fatalf("timed out waiting for %s", name)
	}
	return event{}
}

// next waits for the next event called name and returns its one string
// argument.
func (c *wsClient) next(name string) string {
	c.t.Helper()
	ev := c.nextEvent(name)
	var s string
	if len(ev.args) != 1 || json.Unmarshal(ev.args[0], &s) != nil {
		c.t.Fatalf("%s arrived as %s, want one string argument", name, ev.raw)
	}
	return s
}

// none checks that no event called name arrives for a while.
func (c *wsClient) none(name string, wait time.Duration) {
	c.t.Helper()
	select {
	case ev := <-c.queue(name):
		c.t.Fatalf("unexpected %s", ev.raw)
	case <-time.After(wait):
	}
}

// connected reports whether the server still holds the connection open.
func (c *wsClient) connected() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// close ends the connection and waits for the reader to stop.
func (c *wsClient) close() {
	c.stopOnce.Do(func() {
		close(c.stop)
		_ = c.conn.Close()
		<-c.done
	})
}
