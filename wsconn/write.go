package wsconn

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxIovecs bounds one writev.
const maxIovecs = 64

// flush writes what c has queued without waiting: what the socket does not
// take stays queued, and c waits for EPOLLOUT.
func (c *Conn) flush() {
	for {
		c.mu.Lock()
		if c.closed {
			c.scheduled = false
			c.mu.Unlock()
			return
		}
		if len(c.queue) == 0 {
			c.scheduled = false
			done := c.closing
			c.mu.Unlock()
			if done {
				c.shut()
			}
			return
		}
		// The batch leaves the queue while it is written; c.inflight keeps
		// it inside the bounds until putBack.
		iov := c.take()
		c.mu.Unlock()

		n, err := c.writev(iov)
		if err != nil && err != syscall.EAGAIN {
			c.CloseNow(err)
			return
		}
		c.mu.Lock()
		c.putBack(iov, n)
		if err == syscall.EAGAIN {
			c.scheduled, c.wantOut = false, true
			first := c.stalled.IsZero()
			if first {
				c.stalled = time.Now()
			}
			c.mu.Unlock()
			if first {
				c.p.setStalled(c, true)
			}
			c.p.arm(c)
			return
		}
		wasStalled := !c.stalled.IsZero()
		c.stalled = time.Time{}
		c.mu.Unlock()
		if wasStalled {
			c.p.setStalled(c, false)
		}
	}
}

// take removes up to maxIovecs frames from the queue's head; c.mu held.
func (c *Conn) take() [][]byte {
	k := min(len(c.queue), maxIovecs)
	iov := append([][]byte(nil), c.queue[:k]...)
	clear(c.queue[:k])
	c.queue = c.queue[k:]
	for _, b := range iov {
		c.queued -= int64(len(b))
		c.inflight += int64(len(b))
	}
	if len(c.queue) == 0 {
		c.queue = nil
	}
	return iov
}

// putBack returns what of iov was not written (past its first n bytes) to
// the queue's head; c.mu held.
func (c *Conn) putBack(iov [][]byte, n int) {
	c.inflight = 0
	for len(iov) > 0 && n >= len(iov[0]) {
		n -= len(iov[0])
		iov = iov[1:]
	}
	if len(iov) == 0 {
		return
	}
	iov[0] = iov[0][n:]
	for _, b := range iov {
		c.queued += int64(len(b))
	}
	if c.closed {
		return
	}
	c.queue = append(iov, c.queue...)
}

// writev writes iov with one system call, never waiting.
func (c *Conn) writev(iov [][]byte) (int, error) {
	var n int
	var werr error
	err := c.rc.Write(func(fd uintptr) bool {
		n, werr = unix.Writev(int(fd), iov)
		return true
	})
	if err != nil {
		return 0, err
	}
	if n < 0 {
		n = 0
	}
	return n, werr
}

// shut closes a conn whose close frame has been written.
func (c *Conn) shut() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	c.p.remove(c)
	_ = c.nc.Close()
	c.finish()
}
