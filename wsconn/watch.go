package wsconn

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// Watch calls fn, once and on a goroutine of its own, when nc has
// something to read or its peer hangs up; stop ends the watch and reports
// whether it ended before fn was called. It is for connections the caller
// holds without reading, such as a parked long poll: nobody is told
// otherwise that the client left. nc must be plain TCP; a watch that was
// neither fired nor stopped when the poller closes is dropped.
func (p *Poller) Watch(nc net.Conn, fn func()) (stop func() bool, err error) {
	fd := -1
	if tc, isTCP := nc.(*net.TCPConn); isTCP {
		rc, err := tc.SyscallConn()
		if err == nil {
			err = rc.Control(func(f uintptr) { fd = int(f) })
		}
		if err != nil {
			return nil, fmt.Errorf("wsconn: watching %s: %w", nc.RemoteAddr(), err)
		}
	}
	if fd < 0 {
		return nil, fmt.Errorf("wsconn: watching %s: not a TCP connection", nc.RemoteAddr())
	}
	w := &watch{fd: fd, fn: fn}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrPollerClosed
	}
	p.watches[fd] = w
	p.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.mu.Lock()
		delete(p.watches, fd)
		p.mu.Unlock()
		return nil, fmt.Errorf("wsconn: watching %s: %w", nc.RemoteAddr(), err)
	}
	return func() bool { return p.unwatch(w) }, nil
}

// watch is one Watch under way.
type watch struct {
	fd int
	fn func()
}

// unwatch ends w; false when it had fired already.
func (p *Poller) unwatch(w *watch) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.watches[w.fd] != w {
		return false
	}
	delete(p.watches, w.fd)
	_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, w.fd, nil)
	return true
}

// fired takes the watch of fd, if any, for an event on it; p.mu held.
func (p *Poller) fired(fd int) *watch {
	w := p.watches[fd]
	if w != nil {
		delete(p.watches, fd)
		_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	}
	return w
}
