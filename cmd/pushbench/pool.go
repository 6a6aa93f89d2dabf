package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// poolOptions say where and how clients connect.
type poolOptions struct {
	ioAddrs   []string
	path      string // Socket.IO's
	wsPath    string // plain WebSocket pages'
	ssePath   string // EventSource pages'
	transport string // a kind (plain.go): websocket, polling, ws, sse or mix
	// uidOffset numbers this process's clients: client i is uid
	// "u<uidOffset+i>", connects to ioAddrs[(uidOffset+i) % len] from
	// source address 127.0.0.2 + (uidOffset+i)/perSource.
	uidOffset int
	perSource int
	rate      float64 // connections started per second; 0: no pacing
	inflight  int     // handshakes in progress at most
	timeout   time.Duration
}

// pool is this process's clients. Each lives on one goroutine that reads
// its connection; the pool closes them all at the end.
type pool struct {
	opts    poolOptions
	dialers map[netip.Addr]*net.Dialer
	sink    *sink
	readers readers

	mu    sync.Mutex
	conns []transport
	done  bool

	connectHist hist
	ok, failed  atomic.Int64
	dropped     atomic.Int64
	errs        errorSample
	wg          sync.WaitGroup
}

func newPool(opts poolOptions, s *sink) *pool {
	return &pool{opts: opts, dialers: make(map[netip.Addr]*net.Dialer), sink: s}
}

// uid names client number g (offset included).
func uid(g int) string { return "u" + strconv.Itoa(g) }

// sourceAddr is the loopback address client number g dials from.
func sourceAddr(g, perSource int) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], 0x7f000002+uint32(g/perSource))
	return netip.AddrFrom4(b)
}

// dialer returns the dialer bound to src; p.mu held.
func (p *pool) dialer(src netip.Addr) *net.Dialer {
	if d, ok := p.dialers[src]; ok {
		return d
	}
	d := &net.Dialer{
		LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)),
		Timeout:   p.opts.timeout,
		Control:   bindNoPort,
	}
	p.dialers[src] = d
	return d
}

// bindNoPort leaves the choice of the source port to connect, which picks
// one free for the 4-tuple, rather than to bind, which looks for one free
// for the address alone: with the tens of thousands of TIME_WAIT sockets a
// previous run leaves on a source address, each bind scanned them, and a
// 10,000-client connect phase cost pushbench 25 s of CPU in bind (perf)
// and the server's logins their p99.
func bindNoPort(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("setting IP_BIND_ADDRESS_NO_PORT: %w", err)
	}
	return nil
}

// Connect starts clients from to to-1 at the configured rate and returns
// when each has logged in or failed, or ctx ends. The clients stay
// connected until Close.
func (p *pool) Connect(ctx context.Context, from, to int) time.Duration {
	start := time.Now()
	var handshakes sync.WaitGroup
	slots := make(chan struct{}, max(p.opts.inflight, 1))
	for i := from; i < to && ctx.Err() == nil; i++ {
		if p.opts.rate > 0 {
			due := start.Add(time.Duration(float64(i-from) / p.opts.rate * float64(time.Second)))
			if !sleepUntil(ctx, due) {
				break
			}
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		g := p.opts.uidOffset + i
		handshakes.Add(1)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.runClient(ctx, g, func() { <-slots; handshakes.Done() })
		}()
	}
	handshakes.Wait()
	return time.Since(start)
}

// runClient dials, logs in, then reads until the connection ends. settled
// is called exactly once, when the client is logged in or has failed.
func (p *pool) runClient(ctx context.Context, g int, settled func()) {
	var once sync.Once
	settle := func() { once.Do(settled) }
	defer settle()
	start := time.Now()
	c, err := p.dial(ctx, g)
	if err != nil {
		p.fail(err)
		return
	}
	defer c.t.Close()
	_ = c.t.SetReadDeadline(start.Add(p.opts.timeout))
	c.loggedIn = func() {
		_ = c.t.SetReadDeadline(time.Time{})
		p.connectHist.Record(time.Since(start))
		p.ok.Add(1)
		settle()
	}
	err = c.t.serve(c)
	switch {
	case c.state != stReady:
		p.fail(fmt.Errorf("logging in: %w", err))
	case !p.closing():
		p.dropped.Add(1)
		p.errs.add(fmt.Errorf("connection dropped: %w", err))
	}
}

func (p *pool) dial(ctx context.Context, g int) (*client, error) {
	return p.dialPage(ctx, p.opts.ioAddrs[g%len(p.opts.ioAddrs)], sourceAddr(g, p.opts.perSource),
		&client{uid: uid(g), newMsg: p.sink.newMsg}, kindOf(p.opts.transport, g))
}

// dialPage connects c, a page of kind, to addr from src and tracks its
// connection for Close.
func (p *pool) dialPage(ctx context.Context, addr string, src netip.Addr, c *client, kind string) (*client, error) {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return nil, errors.New("pool closed")
	}
	d := p.dialer(src)
	p.mu.Unlock()
	var err error
	switch kind {
	case kindPolling:
		c.t, err = dialPolling(ctx, d, addr, p.opts.path)
	case kindWS:
		c.plain = true
		c.t, err = dialWebsocket(ctx, d, &p.readers, addr, p.opts.wsPath, p.opts.timeout)
	case kindSSE:
		c.state = stLogging // the login is in the URL
		c.t, err = dialEventStream(ctx, d, &p.readers, addr, p.opts.ssePath, c.uid, p.opts.timeout)
	default:
		c.t, err = dialWebsocket(ctx, d, &p.readers, addr, p.opts.path+"/?EIO=4&transport=websocket", p.opts.timeout)
	}
	if err != nil {
		return nil, err
	}
	t := c.t
	if !p.track(t) {
		_ = t.Close()
		return nil, errors.New("pool closed")
	}
	return c, nil
}

func (p *pool) fail(err error) {
	p.failed.Add(1)
	p.errs.add(err)
}

// track records conn for Close; false when the pool is closing.
func (p *pool) track(conn transport) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return false
	}
	p.conns = append(p.conns, conn)
	return true
}

func (p *pool) closing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Close disconnects every client and waits, up to timeout, for their
// goroutines.
func (p *pool) Close(timeout time.Duration) {
	p.mu.Lock()
	p.done = true
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	finished := make(chan struct{})
	go func() { p.wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(timeout):
	}
}

// Online is the number of clients logged in and still connected.
func (p *pool) Online() int64 { return p.ok.Load() - p.dropped.Load() }

// sleepUntil waits for t or ctx; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// errorSample keeps the first few distinct error texts and counts the rest.
type errorSample struct {
	mu    sync.Mutex
	texts []string
	seen  map[string]bool
}

const maxErrorTexts = 5

func (e *errorSample) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := err.Error()
	if e.seen[t] || len(e.texts) >= maxErrorTexts {
		return
	}
	if e.seen == nil {
		e.seen = make(map[string]bool)
	}
	e.seen[t] = true
	e.texts = append(e.texts, t)
}

func (e *errorSample) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.texts...)
}
