package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// wsTransport is a websocket client connection, or, with events set, an
// event stream (plain.go). Until its client has logged in, the client's
// goroutine reads it; after, one of the process's readers does (epoll), so
// that tens of thousands of idle or receiving clients cost the load
// generator no goroutine wake-up and no read buffer each — a broadcast
// measures the server, not pushbench.
type wsTransport struct {
	nc     net.Conn
	fd     int
	r      *readers
	c      *client
	buf    []byte // bytes read and not yet a whole frame (or event)
	events bool   // an event stream: buf holds server-sent events

	wmu  sync.Mutex
	done chan struct{}
	once sync.Once
	err  error
}

// maxFrame bounds a frame from the server: pushbench reads small packets.
const maxFrame = 1 << 20

// dialWebsocket opens a websocket at target (the request's path and
// query) on addr.
func dialWebsocket(ctx context.Context, d *net.Dialer, r *readers, addr, target string, timeout time.Duration) (*wsTransport, error) {
	return dialStream(ctx, d, r, addr, timeout, false, func(t *wsTransport) error { return t.handshake(addr, target) })
}

// dialStream dials addr and runs open, the request that makes the
// connection a websocket or an event stream.
func dialStream(ctx context.Context, d *net.Dialer, r *readers, addr string, timeout time.Duration, events bool, open func(*wsTransport) error) (*wsTransport, error) {
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", addr, err)
	}
	t := &wsTransport{nc: nc, r: r, done: make(chan struct{}), events: events}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	err = open(t)
	_ = nc.SetDeadline(time.Time{})
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	sc, err := nc.(*net.TCPConn).SyscallConn()
	if err == nil {
		err = sc.Control(func(fd uintptr) { t.fd = int(fd) })
	}
	if err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("reading the socket's descriptor: %w", err)
	}
	return t, nil
}

// handshake upgrades the connection; bytes the server sent after its
// answer stay in t.buf.
func (t *wsTransport) handshake(addr, target string) error {
	var key [16]byte
	_, _ = rand.Read(key[:])
	k := base64.StdEncoding.EncodeToString(key[:])
	req := "GET " + target + " HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + k +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(t.nc, req); err != nil {
		return fmt.Errorf("sending the websocket handshake: %w", err)
	}
	resp, err := t.readHead()
	if err != nil {
		return fmt.Errorf("reading the websocket handshake: %w", err)
	}
	sum := sha1.Sum([]byte(k + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return fmt.Errorf("websocket handshake answered %s", resp.Status)
	}
	return nil
}

// readHead reads the answer's head; the bytes the server sent after it
// stay in t.buf.
func (t *wsTransport) readHead() (*http.Response, error) {
	br := bufio.NewReaderSize(t.nc, 1024)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	if n := br.Buffered(); n > 0 {
		t.buf, _ = br.Peek(n)
		t.buf = append([]byte(nil), t.buf...)
	}
	return resp, nil
}

func (t *wsTransport) Close() error {
	t.end(net.ErrClosed)
	return nil
}

func (t *wsTransport) SetReadDeadline(d time.Time) error { return t.nc.SetReadDeadline(d) }

// send writes p as one masked text frame (the mask is zero: servers only
// check that there is one).
func (t *wsTransport) send(p []byte) error {
	f := make([]byte, 0, 14+len(p))
	switch n := len(p); {
	case n < 126:
		f = append(f, 0x81, 0x80|byte(n))
	case n <= 0xffff:
		f = binary.BigEndian.AppendUint16(append(f, 0x81, 0x80|126), uint16(n))
	default:
		f = binary.BigEndian.AppendUint64(append(f, 0x81, 0x80|127), uint64(n))
	}
	f = append(append(f, 0, 0, 0, 0), p...)
	t.wmu.Lock()
	defer t.wmu.Unlock()
	_, err := t.nc.Write(f)
	return err
}

// serve reads on the client's goroutine until it has logged in, then hands
// the connection to a reader and waits for its end.
func (t *wsTransport) serve(c *client) error {
	t.c = c
	if err := t.consume(); err != nil {
		return err
	}
	chunk := make([]byte, 4096)
	for c.state != stReady {
		n, err := t.nc.Read(chunk)
		if err != nil {
			return err
		}
		t.buf = append(t.buf, chunk[:n]...)
		if err := t.consume(); err != nil {
			return err
		}
	}
	if err := t.r.add(t); err != nil {
		return err
	}
	<-t.done
	return t.err
}

// consume handles every whole frame (or event) in t.buf and keeps the
// rest.
func (t *wsTransport) consume() error {
	if t.events {
		return t.consumeEvents()
	}
	b := t.buf
	for {
		op, payload, n, err := parseFrame(b)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		b = b[n:]
		switch op {
		case 0x1, 0x2:
			if err := t.c.handle(payload); err != nil {
				return err
			}
		case 0x8:
			return errServerClosed
		case 0x9:
			if err := t.pong(payload); err != nil {
				return err
			}
		}
	}
	t.keep(b)
	return nil
}

// keep leaves in t.buf only its tail b, not yet handled.
func (t *wsTransport) keep(b []byte) {
	if len(b) == 0 {
		t.buf = t.buf[:0]
	} else if len(b) < len(t.buf) {
		t.buf = append(t.buf[:0], b...)
	}
}

// goAway sends a close frame with code 1001 (going away), as a browser
// does for the websockets of a page it unloads; the server's close frame
// or its end of the connection then ends serve.
func (t *wsTransport) goAway() error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	_, err := t.nc.Write([]byte{0x88, 0x80 | 2, 0, 0, 0, 0, 0x03, 0xe9}) // masked with zeros, 1001
	return err
}

func (t *wsTransport) pong(payload []byte) error {
	f := append([]byte{0x8a, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
	t.wmu.Lock()
	defer t.wmu.Unlock()
	_, err := t.nc.Write(f)
	return err
}

var errFrameTooLarge = errors.New("frame from the server over 1 MiB")

// parseFrame reads one unmasked server frame at the start of b: its
// opcode, payload and length; n is 0 while b holds no whole frame.
// Fragmented messages do not occur in what pushbench reads.
func parseFrame(b []byte) (op byte, payload []byte, n int, err error) {
	if len(b) < 2 {
		return 0, nil, 0, nil
	}
	op, size, hdr := b[0]&0x0f, int(b[1]&0x7f), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return 0, nil, 0, nil
		}
		size, hdr = int(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return 0, nil, 0, nil
		}
		v := binary.BigEndian.Uint64(b[2:])
		if v > maxFrame {
			return 0, nil, 0, errFrameTooLarge
		}
		size, hdr = int(v), 10
	}
	if size > maxFrame {
		return 0, nil, 0, errFrameTooLarge
	}
	if len(b) < hdr+size {
		return 0, nil, 0, nil
	}
	return op, b[hdr : hdr+size], hdr + size, nil
}

// end closes the connection once; err is what serve returns.
func (t *wsTransport) end(err error) {
	t.once.Do(func() {
		t.err = err
		t.r.remove(t)
		_ = t.nc.Close()
		close(t.done)
	})
}

// readers are the epoll loops that read logged-in clients, each its share.
type readers struct {
	mu    sync.Mutex
	loops []*readLoop
	next  int
}

type readLoop struct {
	epfd  int
	mu    sync.Mutex
	conns map[int32]*wsTransport
}

func (r *readers) add(t *wsTransport) error {
	r.mu.Lock()
	if r.loops == nil {
		for range max(2, min(4, runtime.NumCPU())) {
			epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
			if err != nil {
				r.mu.Unlock()
				return fmt.Errorf("epoll_create1: %w", err)
			}
			l := &readLoop{epfd: epfd, conns: make(map[int32]*wsTransport)}
			r.loops = append(r.loops, l)
			go l.run()
		}
	}
	l := r.loops[r.next%len(r.loops)]
	r.next++
	r.mu.Unlock()
	l.mu.Lock()
	l.conns[int32(t.fd)] = t
	l.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(t.fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, t.fd, &ev); err != nil {
		l.mu.Lock()
		delete(l.conns, int32(t.fd))
		l.mu.Unlock()
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	return nil
}

// remove takes t out of its loop, if it is in one, before its fd closes.
func (r *readers) remove(t *wsTransport) {
	r.mu.Lock()
	loops := r.loops
	r.mu.Unlock()
	for _, l := range loops {
		l.mu.Lock()
		if l.conns[int32(t.fd)] == t {
			delete(l.conns, int32(t.fd))
			_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, t.fd, nil)
		}
		l.mu.Unlock()
	}
}

// readPause is how long a read loop rests after reading what was ready,
// when that was less than a full batch (with a backlog it reads on),
// before it looks again without waiting; it sleeps in epoll_wait only when
// nothing came meanwhile. A loop asleep in epoll_wait is woken by the
// server's write to each client (the server pays the wake-up: on loopback
// the receiver's side of a write runs in the writer's system call, and
// perf put 14% of the server's CPU during broadcasts there), a cost that
// clients on other machines never put on a server. Resting lets a
// broadcast's messages gather: 20 broadcasts to 10,000, by hand, last
// client p50 90-112 ms against 115-160 ms blocking in epoll_wait after
// every batch, and 10% less CPU for both processes. At 100,000 on 6
// instances, where loops fall behind, a loop with a full batch reads on
// (one run each: last client 1.37-1.94 s, against 1.81-2.55 s never
// resting). A delivery is read at most readPause late; latencies count
// that.
const readPause = 200 * time.Microsecond

// run reads whatever is ready, for the life of the process.
func (l *readLoop) run() {
	events := make([]unix.EpollEvent, 256)
	chunk := make([]byte, 64<<10)
	wait := -1 // epoll_wait's timeout: block, or 0 after a pause
	for {
		n, err := unix.EpollWait(l.epfd, events, wait)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return
		}
		if n == 0 {
			wait = -1
			continue
		}
		for _, ev := range events[:n] {
			l.mu.Lock()
			t := l.conns[ev.Fd]
			l.mu.Unlock()
			if t != nil {
				t.readReady(chunk)
			}
		}
		wait = 0
		if n < len(events) { // caught up: rest; with a backlog, read on
			time.Sleep(readPause)
		}
	}
}

// readReady reads once (epoll is level-triggered: what is left is
// reported again) and handles the whole frames.
func (t *wsTransport) readReady(chunk []byte) {
	n, err := unix.Read(t.fd, chunk)
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		return
	case err != nil:
		t.end(fmt.Errorf("reading: %w", err))
		return
	case n == 0:
		t.end(io.EOF)
		return
	}
	if len(t.buf) == 0 {
		// The usual case: whole frames in one read, parsed in place.
		t.buf = chunk[:n]
		err = t.consume()
		if len(t.buf) > 0 {
			t.buf = append([]byte(nil), t.buf...) // keep the rest: chunk is reused
		} else {
			t.buf = nil
		}
	} else {
		t.buf = append(t.buf, chunk[:n]...)
		err = t.consume()
	}
	if err != nil {
		t.end(err)
	}
}
