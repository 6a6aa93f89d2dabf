package wsconn

import (
	"time"
)

// The fallback for conns that are not plain TCP (TLS): a goroutine reads
// each, and one writes while its output waits. A TLS connection also
// keeps crypto/tls's buffers; it costs what a net/http one does.

// readBlocking reads c until it ends.
func (c *Conn) readBlocking() {
	buf := make([]byte, 4<<10)
	err := c.feed(nil, nil)
	for err == nil {
		var n int
		n, err = c.nc.Read(buf)
		if n > 0 {
			if ferr := c.feed(buf[:n], nil); ferr != nil {
				err = ferr
			}
		}
	}
	c.mu.Lock()
	c.reading = false
	c.mu.Unlock()
	if err == errClosing {
		c.finish()
		return
	}
	c.CloseNow(err)
}

// flushBlocking writes c's queue, each write bounded by WriteTimeout.
func (c *Conn) flushBlocking() {
	for {
		c.mu.Lock()
		if c.closed || len(c.queue) == 0 {
			c.scheduled = false
			done := !c.closed && c.closing
			c.mu.Unlock()
			if done {
				c.shut()
			}
			return
		}
		b := c.queue[0]
		c.mu.Unlock()
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.p.opts.WriteTimeout))
		n, err := c.nc.Write(b)
		c.mu.Lock()
		c.consume(n)
		c.mu.Unlock()
		if err != nil {
			c.CloseNow(ErrWriteTimeout)
			return
		}
	}
}
