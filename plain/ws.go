package plain

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/server"
	"github.com/pushio/pushio/wsconn"
)

// Transport names, as the connections metric labels them.
const (
	transportWS  = "plain_websocket"
	transportSSE = "sse"
)

// Frames every WebSocket page shares.
var framePong = wsconn.NewFrame(false, []byte(`{"event":"pong"}`))

// wsPage is one page on the browser's own WebSocket.
type wsPage struct {
	w      *Wire
	c      *wsconn.Conn
	id     string
	opened time.Time
	conn   *server.Conn

	mu       sync.Mutex
	nextPing time.Time // when the next ping is due
	deadline time.Time // when an unanswered ping drops the page; zero: none waits
}

func (w *Wire) websocketHandler() http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !wsconn.IsHandshake(r) {
			engine.Refuse(rw, http.StatusBadRequest, engine.CodeBadRequest, "WebSocket handshake expected")
			return
		}
		c, err := wsconn.Upgrade(rw, r, w.poller)
		if err != nil {
			return // wsconn answered the bad handshake
		}
		now := time.Now()
		p := &wsPage{w: w, c: c, id: newID(), opened: now, nextPing: now.Add(w.opts.PingInterval)}
		welcome, _ := json.Marshal(map[string]any{"event": "welcome", "data": map[string]string{"client": p.id}})
		_ = c.Send(wsconn.NewFrame(false, welcome))
		p.conn = w.srv.Attach(r, p, transportWS)
		w.add(p)
		c.Start(p)
	})
}

func (p *wsPage) ID() string { return p.id }

func (p *wsPage) Deliver(m *engine.Message) {
	e := encodedOf(m)
	if e == nil {
		return
	}
	if !p.send(e.wsFrame()) {
		p.conn.Refused(m)
	}
}

// send queues f and reports whether it was; a page past the queue bounds
// is dropped, not on the sender's goroutine (a broadcast holds the hub).
func (p *wsPage) send(f *wsconn.Frame) bool {
	err := p.c.Send(f)
	if err == wsconn.ErrSlow {
		go p.c.CloseNow(err)
	}
	return err == nil
}

func (p *wsPage) LoginError(reason string) {
	b, _ := json.Marshal(map[string]string{"event": server.EventLoginError, "data": reason})
	p.send(wsconn.NewFrame(false, b))
}

// Close sends close 1001 (going away) while the server drains or stops,
// 1000 otherwise (a kick), after what is queued.
func (p *wsPage) Close() {
	if p.w.srv.Draining() {
		p.c.Close(wsconn.CloseGoingAway, "server going away")
		return
	}
	p.c.Close(wsconn.CloseNormal, "closed by the server")
}

func (p *wsPage) Info() (string, time.Time) { return remoteAddr(p.c), p.opened }

func (p *wsPage) OnMessage(c *wsconn.Conn, binary bool, data []byte) {
	p.alive()
	if binary {
		c.Close(wsconn.CloseUnsupported, "binary frames are not accepted")
		return
	}
	in, err := parseFrame(data)
	if err != nil {
		c.Close(wsconn.CloseInvalidData, err.Error())
		return
	}
	switch in.Event {
	case server.EventLogin:
		uid, token := in.login()
		p.conn.Login(uid, token)
	case "ping":
		p.send(framePong)
	}
}

func (p *wsPage) OnPong(*wsconn.Conn) { p.alive() }

func (p *wsPage) OnClose(c *wsconn.Conn, err error) {
	p.w.remove(p)
	p.conn.Detach()
	p.w.ended(transportWS, p.id, remoteAddr(c), err)
}

// alive pushes the heartbeat back: the page answered.
func (p *wsPage) alive() {
	p.mu.Lock()
	p.deadline, p.nextPing = time.Time{}, time.Now().Add(p.w.opts.PingInterval)
	p.mu.Unlock()
}

// beat pings the page when a ping is due, or drops it when its last one
// went unanswered for PingTimeout.
func (p *wsPage) beat(now time.Time) {
	p.mu.Lock()
	late := !p.deadline.IsZero() && !now.Before(p.deadline)
	ping := p.deadline.IsZero() && !now.Before(p.nextPing)
	if ping {
		p.deadline = now.Add(p.w.opts.PingTimeout)
	}
	p.mu.Unlock()
	switch {
	case late:
		p.c.CloseNow(errPingTimeout)
	case ping:
		p.send(wsconn.PingFrame)
	}
}
