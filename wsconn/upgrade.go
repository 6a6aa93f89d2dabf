package wsconn

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Upgrade answers r's websocket handshake with 101, takes the connection
// from net/http and returns it, not yet read (Start reads it). A bad
// handshake gets 400 and an error. Nothing of r or of net/http's buffers
// stays reachable from the Conn.
func Upgrade(w http.ResponseWriter, r *http.Request, p *Poller) (*Conn, error) {
	key := r.Header.Get("Sec-WebSocket-Key")
	switch {
	case r.Method != http.MethodGet:
		return nil, refuse(w, "websocket: the handshake must be a GET")
	case !tokenIn(r.Header, "Connection", "upgrade") || !tokenIn(r.Header, "Upgrade", "websocket"):
		return nil, refuse(w, "websocket: not a websocket handshake")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		w.Header().Set("Sec-WebSocket-Version", "13")
		return nil, refuse(w, "websocket: unsupported version")
	case !validKey(key):
		return nil, refuse(w, "websocket: bad Sec-WebSocket-Key")
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, refuse(w, "websocket: the connection cannot be taken over")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, fmt.Errorf("wsconn: taking the connection: %w", err)
	}
	c := &Conn{p: p, nc: nc}
	if n := brw.Reader.Buffered(); n > 0 {
		c.in, _ = brw.Reader.Peek(n)
		c.in = append([]byte(nil), c.in...)
	}
	_ = nc.SetDeadline(time.Time{})
	sum := sha1.Sum([]byte(key + acceptGUID))
	answer := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"
	_ = nc.SetWriteDeadline(time.Now().Add(p.opts.WriteTimeout))
	if _, err := nc.Write([]byte(answer)); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("wsconn: answering the handshake: %w", err)
	}
	_ = nc.SetWriteDeadline(time.Time{})
	c.watchable()
	return c, nil
}

// Adopt takes nc, a connection hijacked from net/http over which the
// server only writes from now on (a server-sent events stream, its
// headers already written), into the poller: Send writes RawFrames as
// they are, with the queue bounds and write timeout of websockets, Close
// ends it after what is queued, and the client sending anything, or
// hanging up, ends it. pending is what net/http had read past the
// request (a client that sent more: it is ended at once). Start it as a
// websocket Conn; its Handler gets no messages.
func Adopt(nc net.Conn, pending []byte, p *Poller) *Conn {
	c := &Conn{p: p, nc: nc, raw: true, in: bytes.Clone(pending)}
	_ = nc.SetDeadline(time.Time{})
	c.watchable()
	return c
}

// watchable takes the raw descriptor of a plain TCP connection, which
// the poller reads and writes without a goroutine (else fallback.go).
func (c *Conn) watchable() {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			c.rc = rc
			_ = rc.Control(func(fd uintptr) { c.fd = int(fd) })
		}
	}
}

func refuse(w http.ResponseWriter, msg string) error {
	http.Error(w, msg, http.StatusBadRequest)
	return errors.New("wsconn: " + strings.TrimPrefix(msg, "websocket: "))
}

func validKey(key string) bool {
	b, err := base64.StdEncoding.DecodeString(key)
	return err == nil && len(b) == 16
}

// IsHandshake reports whether r asks for a websocket (a GET with
// Upgrade: websocket); Upgrade checks the rest.
func IsHandshake(r *http.Request) bool {
	return r.Method == http.MethodGet && tokenIn(r.Header, "Upgrade", "websocket")
}

// tokenIn reports whether header name lists token, case-insensitively.
func tokenIn(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
