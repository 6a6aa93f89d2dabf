package wsconn

import (
	"net"
	"slices"
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

// flushBlocking writes c's queue, each batch bounded by WriteTimeout;
// the batch leaves the queue while it is written, as in flush.
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
		iov := c.take()
		c.mu.Unlock()
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.p.opts.WriteTimeout))
		bufs := net.Buffers(slices.Clone(iov)) // WriteTo consumes its slice
		n, err := bufs.WriteTo(c.nc)
		c.mu.Lock()
		c.putBack(iov, int(n))
		c.mu.Unlock()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				err = ErrWriteTimeout
			}
			c.CloseNow(err)
			return
		}
	}
}
