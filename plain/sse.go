package plain

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/server"
	"github.com/pushio/pushio/wsconn"
)

// frameComment is the line an event stream gets each ping interval, so
// that proxies see it alive; EventSource ignores it.
var frameComment = wsconn.RawFrame([]byte(": ping\n\n"))

// ssePage is one page on EventSource.
type ssePage struct {
	w      *Wire
	c      *wsconn.Conn
	id     string
	addr   string
	opened time.Time
	conn   *server.Conn
	done   chan struct{} // HTTP/2 (stream.go): closed when the stream ends

	mu       sync.Mutex
	nextBeat time.Time
}

// eventsHandler opens an event stream: GET with the login in the query
// (uid, and token when logins are signed). A refused login is answered
// 403 with the reason, before any stream: EventSource does not retry it.
func (w *Wire) eventsHandler() http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			rw.Header().Set("Allow", "GET, OPTIONS")
			http.Error(rw, "event streams are opened with GET", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		uid, token, login := q.Get("uid"), q.Get("token"), q.Has("uid")
		if login {
			if err := w.srv.Authorize(uid, token); err != nil {
				http.Error(rw, err.Error(), http.StatusForbidden)
				return
			}
		}
		now := time.Now()
		p := &ssePage{w: w, id: newID(), addr: r.RemoteAddr, opened: now, nextBeat: now.Add(w.opts.PingInterval)}
		h := rw.Header()
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
		start := w.preamble(p.id)
		if !w.hijack(rw, r, p, start) && !w.stream(rw, r, p, start) {
			return
		}
		p.conn = w.srv.Attach(r, p, transportSSE)
		w.add(p)
		if login {
			p.conn.Login(uid, token)
		}
		p.c.Start(p)
		if p.done != nil {
			<-p.done // HTTP/2: the stream lives as long as its handler
		}
	})
}

// preamble is what an event stream begins with: the reconnection delay
// and the welcome event with the page's client id.
func (w *Wire) preamble(id string) []byte {
	b := append([]byte("retry: "), strconv.FormatInt(w.opts.SSERetry.Milliseconds(), 10)...)
	b = append(b, "\n\n"...)
	welcome, _ := json.Marshal(map[string]string{"client": id})
	return appendEvent(b, "", "welcome", welcome)
}

// hijack takes an HTTP/1.x request's connection into the poller, the
// answer's head and start written: the stream then holds no goroutine.
// It reports false when the connection cannot be taken (HTTP/2).
func (w *Wire) hijack(rw http.ResponseWriter, r *http.Request, p *ssePage, start []byte) bool {
	if r.ProtoMajor != 1 {
		return false
	}
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	rw.Header().Set("Connection", "close") // the stream ends when the connection does
	rw.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
	_ = rw.Header().Write(&head)
	head.WriteString("\r\n")
	head.Write(start)
	nc, brw, err := http.NewResponseController(rw).Hijack()
	if err != nil {
		return false
	}
	var pending []byte
	if n := brw.Reader.Buffered(); n > 0 {
		pending, _ = brw.Reader.Peek(n)
	}
	p.c = wsconn.Adopt(nc, pending, w.poller)
	_ = p.c.Send(wsconn.RawFrame(head.Bytes()))
	return true
}

func (p *ssePage) ID() string { return p.id }

func (p *ssePage) Deliver(m *engine.Message) {
	e := encodedOf(m)
	if e == nil {
		return
	}
	if f := e.sseFrame(); f != nil && !p.send(f) {
		p.conn.Refused(m)
	}
}

// send queues f and reports whether it was; a page past the queue bounds
// is dropped, not on the sender's goroutine (a broadcast holds the hub).
func (p *ssePage) send(f *wsconn.Frame) bool {
	err := p.c.Send(f)
	if err == wsconn.ErrSlow {
		go p.c.CloseNow(err)
	}
	return err == nil
}

// LoginError cannot happen after the stream began (Authorize refused
// the login before); should the secret change between, the reason is
// sent as a login_error event.
func (p *ssePage) LoginError(reason string) {
	p.send(wsconn.RawFrame(appendEvent(nil, "", server.EventLoginError, []byte(reason))))
}

// Close ends the stream after what is queued; EventSource reconnects
// after its retry delay, through the load balancer to another instance
// when this one drains.
func (p *ssePage) Close() { p.c.Close(wsconn.CloseGoingAway, "") }

func (p *ssePage) Info() (string, time.Time) { return p.addr, p.opened }

func (p *ssePage) OnMessage(*wsconn.Conn, bool, []byte) {}

func (p *ssePage) OnClose(c *wsconn.Conn, err error) {
	p.w.remove(p)
	p.conn.Detach()
	if p.done != nil {
		close(p.done)
	}
	p.w.ended(transportSSE, p.id, p.addr, err)
}

// beat writes the comment line each ping interval.
func (p *ssePage) beat(now time.Time) {
	p.mu.Lock()
	due := !now.Before(p.nextBeat)
	if due {
		p.nextBeat = now.Add(p.w.opts.PingInterval)
	}
	p.mu.Unlock()
	if due {
		p.send(frameComment)
	}
}
