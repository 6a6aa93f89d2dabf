package wsconn

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Options for a Poller; zero values take the defaults in brackets.
type Options struct {
	MaxMessage    int64         // largest message accepted [1 MiB]; larger: close 1009
	MaxQueue      int           // frames waiting per conn before Send says ErrSlow [no bound]
	MaxQueueBytes int64         // bytes waiting per conn before Send says ErrSlow [no bound]
	WriteTimeout  time.Duration // a conn whose output makes no progress this long is closed [10s]
	Writers       int           // writer goroutines [GOMAXPROCS]
}

const readBufSize = 64 << 10

// Poller is one epoll instance with its wait goroutine and writers.
type Poller struct {
	opts Options
	epfd int
	wake int // eventfd that ends epoll_wait at Close

	mu      sync.Mutex
	conns   map[int]*Conn
	others  map[*Conn]struct{} // fallback conns (fallback.go), read by goroutines
	watches map[int]*watch     // watch.go
	stalled map[*Conn]struct{}
	closed  bool

	writeq chan *Conn
	bufs   sync.Pool
	wg     sync.WaitGroup
	stop   chan struct{}
}

// NewPoller starts a poller; Close stops it.
func NewPoller(opts Options) (*Poller, error) {
	if opts.MaxMessage <= 0 {
		opts.MaxMessage = 1 << 20
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.Writers <= 0 {
		opts.Writers = runtime.GOMAXPROCS(0)
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("wsconn: epoll_create1: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("wsconn: eventfd: %w", err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)}); err != nil {
		_ = unix.Close(epfd)
		_ = unix.Close(wake)
		return nil, fmt.Errorf("wsconn: watching the eventfd: %w", err)
	}
	p := &Poller{opts: opts, epfd: epfd, wake: wake, conns: make(map[int]*Conn), others: make(map[*Conn]struct{}), watches: make(map[int]*watch),
		stalled: make(map[*Conn]struct{}), writeq: make(chan *Conn, 1<<16), stop: make(chan struct{})}
	p.bufs.New = func() any { b := make([]byte, readBufSize); return &b }
	p.wg.Add(2 + opts.Writers)
	go p.wait()
	go p.sweep()
	for range opts.Writers {
		go p.writer()
	}
	return p, nil
}

// Settle waits, up to timeout, until no conn is left: for conns closed
// with Close, until their queued frames and close frame are written.
func (p *Poller) Settle(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		n := len(p.conns) + len(p.others)
		p.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Close closes every conn (OnClose gets ErrPollerClosed) and stops the
// poller's goroutines.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	all := make([]*Conn, 0, len(p.conns)+len(p.others))
	for _, c := range p.conns {
		all = append(all, c)
	}
	for c := range p.others {
		all = append(all, c)
	}
	p.mu.Unlock()
	for _, c := range all {
		c.CloseNow(ErrPollerClosed)
	}
	close(p.stop)
	var one [8]byte
	one[7] = 1
	_, _ = unix.Write(p.wake, one[:])
	p.wg.Wait()
	_ = unix.Close(p.epfd)
	_ = unix.Close(p.wake)
	return nil
}

// add watches c for reading.
func (p *Poller) add(c *Conn) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrPollerClosed
	}
	p.conns[c.fd] = c
	p.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: int32(c.fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
		p.mu.Lock()
		delete(p.conns, c.fd)
		p.mu.Unlock()
		return err
	}
	return nil
}

// addOther counts a fallback conn, so that Close closes it too.
func (p *Poller) addOther(c *Conn) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrPollerClosed
	}
	p.others[c] = struct{}{}
	return nil
}

// arm watches c again, for what it waits for: input unless a reader has
// it or it is closing, output while its queue waits for room.
func (p *Poller) arm(c *Conn) {
	// c.mu stays held across the EpollCtl: the last arm applied is the
	// one computed from the newest state, and c's fd is open.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	var events uint32 = unix.EPOLLRDHUP | unix.EPOLLONESHOT
	if !c.reading && !c.closing {
		events |= unix.EPOLLIN
	}
	if c.wantOut {
		events |= unix.EPOLLOUT
	}
	ev := unix.EpollEvent{Events: events, Fd: int32(c.fd)}
	_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev)
}

// remove stops watching c (before its fd is closed).
func (p *Poller) remove(c *Conn) {
	p.mu.Lock()
	if c.rc == nil {
		delete(p.others, c)
		p.mu.Unlock()
		return
	}
	if p.conns[c.fd] == c {
		delete(p.conns, c.fd)
		_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	}
	delete(p.stalled, c)
	p.mu.Unlock()
}

// wait turns epoll events into reads and writes until Close.
func (p *Poller) wait() {
	defer p.wg.Done()
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil && err != syscall.EINTR {
			return
		}
		for i := range n {
			ev := events[i]
			if int(ev.Fd) == p.wake {
				return
			}
			p.mu.Lock()
			c := p.conns[int(ev.Fd)]
			var w *watch
			if c == nil {
				w = p.fired(int(ev.Fd))
			}
			p.mu.Unlock()
			switch {
			case c != nil:
				p.ready(c, ev.Events)
			case w != nil:
				go w.fn()
			}
		}
	}
}

// ready handles one event of c.
func (p *Poller) ready(c *Conn, events uint32) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	read := events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 && !c.reading && !c.closing
	if read {
		c.reading = true
	}
	if events&unix.EPOLLOUT != 0 && c.wantOut {
		c.wantOut = false
		c.schedule()
	}
	c.mu.Unlock()
	if read {
		go c.readReady()
		return
	}
	p.arm(c)
}

// write puts c on the writers' queue.
func (p *Poller) write(c *Conn) {
	select {
	case p.writeq <- c:
	default:
		go c.flush() // the queue is full: do not block the sender
	}
}

func (p *Poller) writer() {
	defer p.wg.Done()
	for {
		select {
		case <-p.stop:
			return
		case c := <-p.writeq:
			c.flush()
		}
	}
}

// sweep closes conns whose output made no progress for WriteTimeout.
func (p *Poller) sweep() {
	defer p.wg.Done()
	t := time.NewTicker(min(p.opts.WriteTimeout/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			var late []*Conn
			p.mu.Lock()
			for c := range p.stalled {
				c.mu.Lock()
				if !c.stalled.IsZero() && now.Sub(c.stalled) > p.opts.WriteTimeout {
					late = append(late, c)
				}
				c.mu.Unlock()
			}
			p.mu.Unlock()
			for _, c := range late {
				c.CloseNow(ErrWriteTimeout)
			}
		}
	}
}

func (p *Poller) setStalled(c *Conn, on bool) {
	p.mu.Lock()
	if on {
		p.stalled[c] = struct{}{}
	} else {
		delete(p.stalled, c)
	}
	p.mu.Unlock()
}
