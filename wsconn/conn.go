package wsconn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// Errors a Conn ends or refuses with.
var (
	ErrSlow         = errors.New("wsconn: client too slow: output queue full")
	ErrClosed       = errors.New("wsconn: connection closed")
	ErrTooLarge     = errors.New("wsconn: message too large")
	ErrWriteTimeout = errors.New("wsconn: write timed out")
	ErrPollerClosed = errors.New("wsconn: poller closed")
	// ErrInput ends an adopted connection (Adopt) whose client sent
	// something: nothing is expected from it.
	ErrInput = errors.New("wsconn: the client sent data on a write-only connection")
)

// Handler gets a Conn's messages and its end.
type Handler interface {
	// OnMessage gets one complete message; data is only valid during the
	// call. It may block: only this Conn waits.
	OnMessage(c *Conn, binary bool, data []byte)
	// OnClose is called once, last; err is nil for a clean close.
	OnClose(c *Conn, err error)
}

// PongHandler is a Handler that is told of each pong frame, for a
// heartbeat of websocket pings (PingFrame). OnPong may not block.
type PongHandler interface {
	OnPong(c *Conn)
}

// Conn is one websocket connection.
type Conn struct {
	p   *Poller
	nc  net.Conn
	rc  syscall.RawConn // nil: not plain TCP (fallback.go)
	fd  int
	h   Handler
	raw bool // adopted (Adopt): no websocket framing either way

	// read side, touched by one goroutine at a time
	in      []byte // an incomplete frame's bytes
	frag    []byte // a fragmented message so far
	fragOp  byte
	reading bool // guarded by mu

	mu        sync.Mutex
	queue     [][]byte // frames waiting, the first maybe partly written
	queued    int64
	inflight  int64 // bytes of the batch being written, off the queue
	scheduled bool  // on the writer queue or being written
	wantOut   bool  // waiting for EPOLLOUT
	stalled   time.Time
	closing   bool // a close frame is queued: no more frames
	closed    bool
	endErr    error
	ended     bool // OnClose called or due
}

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Start begins reading; h gets the messages. Call it once.
func (c *Conn) Start(h Handler) {
	c.mu.Lock()
	c.h = h
	closed := c.closed
	c.mu.Unlock()
	if closed {
		c.finish()
		return
	}
	if c.rc == nil {
		if err := c.p.addOther(c); err != nil {
			c.CloseNow(err)
			return
		}
		c.mu.Lock()
		c.reading = true
		c.mu.Unlock()
		go c.readBlocking()
		return
	}
	pending := len(c.in) > 0 // bytes that came with the handshake request
	if pending {
		c.mu.Lock()
		c.reading = true
		c.mu.Unlock()
	}
	if err := c.p.add(c); err != nil {
		c.mu.Lock()
		c.reading = false
		c.mu.Unlock()
		c.CloseNow(fmt.Errorf("wsconn: watching the connection: %w", err))
		return
	}
	if pending {
		go c.readReady()
	}
}

// Send queues f; it never blocks.
func (c *Conn) Send(f *Frame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enqueue(f.b)
}

// enqueue queues b; c.mu held.
func (c *Conn) enqueue(b []byte) error {
	if c.closed || c.closing {
		return ErrClosed
	}
	o := c.p.opts
	if len(c.queue) > 0 && ((o.MaxQueue > 0 && len(c.queue)+1 > o.MaxQueue) ||
		(o.MaxQueueBytes > 0 && c.queued+c.inflight+int64(len(b)) > o.MaxQueueBytes)) {
		return ErrSlow
	}
	c.queue = append(c.queue, b)
	c.queued += int64(len(b))
	c.schedule()
	return nil
}

// schedule hands c to a writer unless one has it or it waits for
// EPOLLOUT; c.mu held.
func (c *Conn) schedule() {
	if c.scheduled || c.wantOut {
		return
	}
	c.scheduled = true
	if c.rc == nil {
		go c.flushBlocking()
		return
	}
	c.p.write(c)
}

// Close sends a close frame after what is queued, then closes; an
// adopted connection closes after what is queued.
func (c *Conn) Close(code int, reason string) {
	c.mu.Lock()
	if c.closed || c.closing {
		c.mu.Unlock()
		return
	}
	if !c.raw {
		f := closeFrame(code, reason)
		c.queue = append(c.queue, f.b)
		c.queued += int64(len(f.b))
	}
	c.closing = true
	c.schedule()
	c.mu.Unlock()
}

// CloseNow drops what is queued and closes at once; err reaches OnClose.
func (c *Conn) CloseNow(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.finish() // a reader that ended after the closer's finish call
		return
	}
	c.closed, c.endErr = true, err
	c.queue, c.queued = nil, 0
	c.mu.Unlock()
	c.p.remove(c)
	_ = c.nc.Close()
	c.finish()
}

// finish calls OnClose once the conn is closed and its reader is done.
func (c *Conn) finish() {
	c.mu.Lock()
	if c.ended || !c.closed || c.reading || c.h == nil {
		c.mu.Unlock()
		return
	}
	c.ended = true
	h, err := c.h, c.endErr
	c.mu.Unlock()
	h.OnClose(c, err)
}

// readReady reads what the socket holds (epoll said readable), then
// watches it again.
func (c *Conn) readReady() {
	buf := c.p.bufs.Get().(*[]byte)
	n, err := c.readOnce(*buf)
	if n > 0 || len(c.in) > 0 {
		err = c.feed((*buf)[:n], err)
	}
	c.p.bufs.Put(buf)
	c.mu.Lock()
	c.reading = false
	closed := c.closed
	c.mu.Unlock()
	switch {
	case err == errClosing:
		c.finish() // the writer closes once the close frame is out
	case err != nil:
		c.CloseNow(err)
	case closed:
		c.finish()
	default:
		c.p.arm(c)
	}
}

// readOnce reads without waiting; (0, nil) is nothing to read yet.
func (c *Conn) readOnce(buf []byte) (int, error) {
	var n int
	var rerr error
	err := c.rc.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), buf)
		return true
	})
	switch {
	case err != nil:
		return 0, err
	case rerr == syscall.EAGAIN || rerr == syscall.EINTR:
		return 0, nil
	case rerr != nil:
		return 0, rerr
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// feed parses b (after what c.in held) into messages; an error ends the
// connection, after a close frame when the client broke the protocol.
// rerr is the read's own outcome, returned when parsing went well.
func (c *Conn) feed(b []byte, rerr error) error {
	if c.raw {
		if len(b) > 0 || len(c.in) > 0 {
			return ErrInput
		}
		return rerr
	}
	own := len(c.in) > 0
	if own {
		c.in = append(c.in, b...)
		b = c.in
	}
	for len(b) > 0 {
		h, err := parseHeader(b)
		if err == errIncomplete {
			break
		}
		if err != nil {
			return c.fail(CloseProtocolError, err)
		}
		if max := c.p.opts.MaxMessage; h.length > max || int64(len(c.frag))+h.length > max {
			return c.fail(CloseTooLarge, ErrTooLarge)
		}
		end := int64(h.size) + h.length
		if int64(len(b)) < end {
			break
		}
		payload := b[h.size:end]
		unmask(payload, h.mask)
		b = b[end:]
		if err := c.frame(h, payload); err != nil {
			return err
		}
	}
	// Keep only an incomplete frame's bytes, in a buffer of their own.
	switch {
	case len(b) == 0:
		c.in = nil
	case own:
		c.in = c.in[:copy(c.in, b)] // b is c.in's tail: keep the buffer
	default:
		c.in = append([]byte(nil), b...)
	}
	return rerr
}

// frame handles one complete frame.
func (c *Conn) frame(h header, payload []byte) error {
	switch h.op {
	case opPing:
		c.mu.Lock()
		_ = c.enqueue(appendFrame(nil, opPong, payload))
		c.mu.Unlock()
		return nil
	case opPong:
		if ph, ok := c.h.(PongHandler); ok {
			ph.OnPong(c)
		}
		return nil
	case opClose:
		code := CloseNormal
		if len(payload) >= 2 {
			code = int(binary.BigEndian.Uint16(payload))
		}
		c.Close(code, "")
		return errClosing
	case opContinuation:
		if c.fragOp == 0 {
			return c.fail(CloseProtocolError, errProtocol)
		}
		c.frag = append(c.frag, payload...)
		if !h.fin {
			return nil
		}
		op, msg := c.fragOp, c.frag
		c.fragOp, c.frag = 0, nil
		return c.message(op, msg)
	}
	if c.fragOp != 0 {
		return c.fail(CloseProtocolError, errProtocol)
	}
	if !h.fin {
		c.fragOp, c.frag = h.op, append([]byte(nil), payload...)
		return nil
	}
	return c.message(h.op, payload)
}

func (c *Conn) message(op byte, msg []byte) error {
	if op == opText && !utf8.Valid(msg) {
		return c.fail(CloseInvalidData, errors.New("wsconn: text message is not UTF-8"))
	}
	c.h.OnMessage(c, op == opBinary, msg)
	return nil
}

// fail sends a close frame with code, and ends the connection with err
// once it is written.
func (c *Conn) fail(code int, err error) error {
	c.mu.Lock()
	if c.endErr == nil {
		c.endErr = err
	}
	c.mu.Unlock()
	c.Close(code, strings.TrimPrefix(err.Error(), "wsconn: "))
	return errClosing
}

// errClosing: the reader stops; the close frame on its way ends the conn.
var errClosing = errors.New("wsconn: closing")
