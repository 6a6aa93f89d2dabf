package wsconn

// Hostile and slow clients: bounded queues, the stall sweep, broken
// frames and half-open conns, each next to a well-behaved client on the
// same Poller.

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// ended is one OnClose call.
type ended struct {
	c   *Conn
	err error
	at  time.Time
}

// recorder is echo that also hands each OnClose, with its time, to ends
// while it has room.
type recorder struct {
	*echo
	ends chan ended
}

func (r *recorder) OnClose(c *Conn, err error) {
	r.echo.OnClose(c, err)
	select {
	case r.ends <- ended{c, err, time.Now()}:
	default: // more than the tests wait for (the Poller's Close in cleanup)
	}
}

// server is startEcho's server, but with the server side of each conn
// handed out (conns) and OnClose calls timed (h.ends).
type server struct {
	url   string // ws:// or wss://
	addr  string // host:port
	p     *Poller
	h     *recorder
	conns chan *Conn
	tls   *tls.Config // the client's, for a TLS server
}

// startServer starts a Poller behind an httptest server; sndbuf > 0 sets
// the server side's SO_SNDBUF so that a client that does
// not read fills it quickly.
func startServer(t *testing.T, opts Options, sndbuf int, useTLS bool) *server {
	t.Helper()
	p, err := NewPoller(opts)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{p: p, h: &recorder{echo: &echo{}, ends: make(chan ended, 64)}, conns: make(chan *Conn, 256)}
	hf := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, p)
		if err != nil {
			return
		}
		nc := c.nc
		if tc, ok := nc.(*tls.Conn); ok {
			nc = tc.NetConn()
		}
		if tc, ok := nc.(*net.TCPConn); ok && sndbuf > 0 {
			_ = tc.SetWriteBuffer(sndbuf)
		}
		c.Start(s.h)
		s.conns <- c
	})
	var ts *httptest.Server
	if useTLS {
		ts = httptest.NewTLSServer(hf)
		s.tls = ts.Client().Transport.(*http.Transport).TLSClientConfig
		s.url = "wss" + strings.TrimPrefix(ts.URL, "https")
	} else {
		ts = httptest.NewServer(hf)
		s.url = "ws" + strings.TrimPrefix(ts.URL, "http")
	}
	s.addr = ts.Listener.Addr().String()
	t.Cleanup(func() {
		ts.Close()
		_ = p.Close()
	})
	return s
}

// next is the server side of the conn dialed last.
func (s *server) next(t *testing.T) *Conn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no conn reached the handler")
		return nil
	}
}

// end waits for the next OnClose, up to d.
func (s *server) end(t *testing.T, d time.Duration) ended {
	t.Helper()
	select {
	case e := <-s.h.ends:
		return e
	case <-time.After(d):
		t.Fatalf("no OnClose within %v", d)
		return ended{}
	}
}

// noEnd asserts no OnClose has come.
func (s *server) noEnd(t *testing.T) {
	t.Helper()
	select {
	case e := <-s.h.ends:
		t.Fatalf("unexpected OnClose: %v", e.err)
	default:
	}
}

// dialSlow dials s with the client's SO_RCVBUF set to rcvbuf before
// connecting, so that a client that stops reading stops the server soon.
func dialSlow(t *testing.T, s *server, rcvbuf int) *websocket.Conn {
	t.Helper()
	nd := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
		})
		return errors.Join(err, serr)
	}}
	d := websocket.Dialer{NetDialContext: nd.DialContext, TLSClientConfig: s.tls, HandshakeTimeout: 5 * time.Second}
	c, _, err := d.Dial(s.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// sockBuf reads an int socket option of nc.
func sockBuf(t *testing.T, nc net.Conn, opt int) int {
	t.Helper()
	sc, ok := nc.(syscall.Conn)
	if !ok {
		t.Fatalf("%T has no fd", nc)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, opt) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}

// connState is what c has queued and whether it waits for the socket.
type connState struct {
	queued    int64
	frames    int
	stalled   time.Time
	wantOut   bool
	scheduled bool
	closed    bool
}

func stateOf(c *Conn) connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return connState{c.queued, len(c.queue), c.stalled, c.wantOut, c.scheduled, c.closed}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// seqFrame is a binary frame of size bytes starting with seq.
func seqFrame(seq uint64, size int) *Frame {
	b := make([]byte, size)
	binary.BigEndian.PutUint64(b, seq)
	return NewFrame(true, b)
}

// roundTrip echoes one message through ws and returns how long it took.
func roundTrip(t *testing.T, ws *websocket.Conn, msg string) time.Duration {
	t.Helper()
	start := time.Now()
	_ = ws.SetReadDeadline(start.Add(5 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("echo %q: %v", msg, err)
	}
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != msg {
		t.Fatalf("echo %q: got %q, %v", msg, got, err)
	}
	return time.Since(start)
}

// fill Sends frames of size to c until c is stuck: Send says ErrSlow and
// c waits for EPOLLOUT (a fallback conn: its writer is under way). It returns
// how many Sends were accepted before the first ErrSlow and in all, and
// the most bytes and frames c held queued at any point (polled while
// sending). Frames carry their sequence numbers from 0.
func fill(t *testing.T, c *Conn, size int, untilSlow bool) (first, accepted int, peak connState) {
	t.Helper()
	stop := make(chan struct{})
	peaks := make(chan connState)
	go func() {
		var pk connState
		for {
			st := stateOf(c)
			pk.queued = max(pk.queued, st.queued)
			pk.frames = max(pk.frames, st.frames)
			select {
			case <-stop:
				peaks <- pk
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	defer func() {
		if peaks != nil {
			close(stop)
			<-peaks
		}
	}()
	first = -1
	deadline := time.Now().Add(10 * time.Second)
	for accepted < 10000 && time.Now().Before(deadline) {
		err := c.Send(seqFrame(uint64(accepted), size))
		switch {
		case err == nil:
			accepted++
			if st := stateOf(c); untilSlow || !st.wantOut || st.frames == 0 {
				continue
			}
			close(stop)
			peak, peaks = <-peaks, nil
			return first, accepted, peak
		case !errors.Is(err, ErrSlow):
			t.Fatalf("after %d accepted Sends: %v, want ErrSlow", accepted, err)
		}
		if first < 0 {
			first = accepted
		}
		if st := stateOf(c); st.wantOut || (c.rc == nil && st.scheduled) {
			close(stop)
			peak, peaks = <-peaks, nil
			return first, accepted, peak
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%d Sends accepted and the conn is not stuck", accepted)
	return
}

// TestSlowReaderGetsErrSlow: a client that never reads makes Send say
// ErrSlow after what the kernel and the queue bound hold, Send never
// blocks on it, and a client on the same Poller still echoes promptly.
func TestSlowReaderGetsErrSlow(t *testing.T) {
	const size = 64 << 10
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"256KiB", Options{MaxQueueBytes: 256 << 10}},
		{"1MiB", Options{MaxQueueBytes: 1 << 20}},
		{"8 frames", Options{MaxQueue: 8}},
		{"64 frames or 512KiB", Options{MaxQueue: 64, MaxQueueBytes: 512 << 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, tc.opts, 64<<10, false)
			slow := dialSlow(t, s, 64<<10)
			sc := s.next(t)
			fast := dial(t, s.url)
			_ = s.next(t)
			flen := int64(seqFrame(0, size).Len())
			limit := tc.opts.MaxQueueBytes
			if mq := int64(tc.opts.MaxQueue) * flen; limit == 0 || (mq > 0 && mq < limit) {
				limit = mq
			}
			// What the two socket buffers hold, each maybe one segment over.
			kernel := int64(sockBuf(t, sc.nc, syscall.SO_SNDBUF)+sockBuf(t, slow.UnderlyingConn(), syscall.SO_RCVBUF)) + 2*flen

			first, n, peak := fill(t, sc, size, true)
			st := stateOf(sc)
			t.Logf("first ErrSlow after %d Sends, stuck after %d; peak queue %d B (%d frames), bound %d B; %d B in the kernel",
				first, n, peak.queued, peak.frames, limit, int64(n)*flen-st.queued)
			// The bound leaves out the batch a writer has under way (up to
			// maxIovecs frames): once put back it counts again, so what is
			// queued may pass the bound by that batch (see the report).
			if peak.queued > limit+flen {
				t.Logf("queue passed its bound by %d B (%.1f frames)", peak.queued-limit, float64(peak.queued-limit)/float64(flen))
			}
			if over := limit + flen + min(int64(maxIovecs)*flen, limit+flen); peak.queued > over {
				t.Errorf("queue peaked at %d B, past bound %d B plus one batch", peak.queued, limit)
			}
			if max := (kernel + 2*limit + 2*flen) / flen; int64(n) > max {
				t.Errorf("%d Sends accepted before the conn was stuck, want <= %d", n, max)
			}

			// Stuck: Send refuses at once (the kernel may still take a
			// little as it settles, within the same bound).
			start := time.Now()
			more := 0
			for i := range 200 {
				switch err := sc.Send(seqFrame(uint64(n+more), size)); {
				case err == nil:
					more++
				case !errors.Is(err, ErrSlow):
					t.Fatalf("Send %d to the stuck conn: %v, want ErrSlow", i, err)
				}
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("200 Sends to the stuck conn took %v", d)
			}
			if more > 2 || int64(n+more) > (kernel+2*limit+2*flen)/flen {
				t.Errorf("the stuck conn took %d more Sends (%d in all)", more, n+more)
			}
			// The other client meanwhile.
			for i := range 20 {
				if d := roundTrip(t, fast, "ping "+string(rune('a'+i))); d > time.Second {
					t.Errorf("echo %d took %v while a client is stuck", i, d)
				}
			}
			if now := stateOf(sc); now.closed || now.queued < limit-2*flen {
				t.Errorf("the slow conn's output went: %+v, was %+v", now, st)
			}
			s.noEnd(t)
		})
	}
}

// TestWriteTimeoutSweep: a client that never reads, whose socket is full,
// is closed by the sweep once its output made no progress for
// WriteTimeout, and not before.
func TestWriteTimeoutSweep(t *testing.T) {
	const wt = 300 * time.Millisecond
	for _, tc := range []struct {
		name string
		opts Options
		tls  bool
	}{
		{"bounded queue", Options{WriteTimeout: wt, MaxQueueBytes: 1 << 20}, false},
		{"unbounded queue", Options{WriteTimeout: wt}, false},
		{"TLS fallback", Options{WriteTimeout: wt, MaxQueueBytes: 1 << 20}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, tc.opts, 64<<10, tc.tls)
			slow := dialSlow(t, s, 64<<10)
			sc := s.next(t)
			start := time.Now()
			_, n, _ := fill(t, sc, 64<<10, tc.opts.MaxQueueBytes > 0)
			if tc.tls {
				// The fallback's writer blocks in a write bounded by
				// WriteTimeout. Its OnClose may never come (see the report):
				// assert what the client and Send see.
				waitFor(t, 3*time.Second+10*wt, "the TLS conn closed", func() bool { return stateOf(sc).closed })
				if d := time.Since(start); d < wt {
					t.Errorf("closed %v after the first Send, before WriteTimeout %v", d, wt)
				}
			} else {
				stalled := stateOf(sc).stalled
				if stalled.IsZero() {
					t.Fatal("stuck conn has no stall time")
				}
				e := s.end(t, 3*time.Second+10*wt)
				if e.c != sc || !errors.Is(e.err, ErrWriteTimeout) {
					t.Fatalf("OnClose(%p, %v), want (%p, ErrWriteTimeout)", e.c, e.err, sc)
				}
				if d := e.at.Sub(stalled); d < wt || d > 4*wt {
					t.Errorf("closed %v after the stall began, want in [%v, %v]", d, wt, 4*wt)
				}
				s.p.mu.Lock()
				_, watched := s.p.conns[sc.fd]
				_, swept := s.p.stalled[sc]
				s.p.mu.Unlock()
				if watched || swept {
					t.Errorf("closed conn still known to the poller (conns %v, stalled %v)", watched, swept)
				}
			}
			if err := sc.Send(seqFrame(0, 10)); !errors.Is(err, ErrClosed) {
				t.Errorf("Send after the sweep: %v, want ErrClosed", err)
			}
			// The client gets what the kernel held, then the end.
			_ = slow.SetReadDeadline(time.Now().Add(5 * time.Second))
			var got int
			var err error
			for err == nil {
				_, _, err = slow.ReadMessage()
				got++
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("client still connected after %d of %d frames: %v", got-1, n, err)
			}
		})
	}
}

// TestStalledReaderResumes: a client that stops reading, so that its conn
// stalls, then reads again before WriteTimeout is not closed, and gets
// every accepted frame, in order; progress restarts the stall clock, so
// stalls each shorter than WriteTimeout may add up to more.
func TestStalledReaderResumes(t *testing.T) {
	const (
		wt    = time.Second
		size  = 16 << 10
		total = 300
	)
	for _, tc := range []struct {
		name   string
		pauses map[int]time.Duration // frame index -> stall held this long before reading it
	}{
		{"resume at once", map[int]time.Duration{0: 0}},
		{"resume after WriteTimeout/2", map[int]time.Duration{0: wt / 2}},
		{"two stalls of 0.6 WriteTimeout", map[int]time.Duration{0: wt * 6 / 10, total / 2: wt * 6 / 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, Options{WriteTimeout: wt, MaxQueueBytes: 256 << 10}, 64<<10, false)
			slow := dialSlow(t, s, 64<<10)
			sc := s.next(t)
			sent := make(chan error, 1)
			go func() {
				deadline := time.Now().Add(20 * time.Second)
				for seq := 0; seq < total; {
					switch err := sc.Send(seqFrame(uint64(seq), size)); {
					case err == nil:
						seq++
					case !errors.Is(err, ErrSlow):
						sent <- err
						return
					case time.Now().After(deadline):
						sent <- errors.New("sending timed out")
						return
					default:
						time.Sleep(time.Millisecond)
					}
				}
				sent <- nil
			}()
			for i := range total {
				if d, ok := tc.pauses[i]; ok {
					var since time.Time
					waitFor(t, 5*time.Second, "the conn stalls", func() bool {
						since = stateOf(sc).stalled
						return !since.IsZero()
					})
					time.Sleep(d)
					if held := time.Since(since); held >= wt {
						t.Fatalf("the stall lasted %v before reading again, not under WriteTimeout %v", held, wt)
					}
				}
				_ = slow.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, got, err := slow.ReadMessage()
				if err != nil {
					select {
					case e := <-s.h.ends:
						t.Fatalf("frame %d: %v; the server closed the conn while its client read: OnClose(%v), state %+v",
							i, err, e.err, stateOf(sc))
					default:
					}
					t.Fatalf("frame %d: %v", i, err)
				}
				if len(got) != size || binary.BigEndian.Uint64(got) != uint64(i) {
					t.Fatalf("frame %d: %d bytes, sequence %d", i, len(got), binary.BigEndian.Uint64(got))
				}
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
			s.noEnd(t)
			waitFor(t, 5*time.Second, "the conn has nothing queued and no stall", func() bool {
				st := stateOf(sc)
				return st.frames == 0 && st.stalled.IsZero() && !st.wantOut
			})
			if st := stateOf(sc); st.closed {
				t.Fatal("the conn is closed")
			}
			roundTrip(t, slow, "still here")
		})
	}
}

// handshake is a client's websocket request, whole.
const handshake = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"

// rawDial makes a websocket to s by hand: what follows the 101 is the
// caller's to write, right or wrong.
func rawDial(t *testing.T, s *server) (*net.TCPConn, *bufio.Reader) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write([]byte(handshake)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	status, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 101 ") {
		t.Fatalf("handshake: %q, %v", status, err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("handshake headers: %v", err)
		}
		if line == "\r\n" {
			break
		}
	}
	_ = nc.SetDeadline(time.Time{})
	return nc.(*net.TCPConn), br
}

// clientFrame is a masked client frame: b0 holds FIN, RSV and opcode.
func clientFrame(b0 byte, payload []byte) []byte {
	b := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	mask := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i&3])
	}
	return b
}

// serverFrame reads one (unmasked) server frame.
func serverFrame(r io.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 != 0 {
		return 0, nil, errors.New("masked server frame")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var x [2]byte
		if _, err := io.ReadFull(r, x[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(x[:]))
	case 127:
		var x [8]byte
		if _, err := io.ReadFull(r, x[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(x[:])
	}
	if n > 1<<24 {
		return 0, nil, errors.New("server frame too large")
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r, payload)
	return h[0], payload, err
}

// closedByPeer: the server ended the TCP connection.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// TestHostileInputCloses: whatever a client writes after the handshake,
// the server ends the conn (with a close frame and the code RFC 6455 asks
// for when the client broke the protocol, or when it ends its side),
// OnClose says why, and a client on the same Poller still echoes.
func TestHostileInputCloses(t *testing.T) {
	const maxMsg = 1000
	random := func(seed uint64) []byte {
		b := make([]byte, 4096)
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	long := func(n uint64) []byte { // a binary frame header announcing n bytes
		return binary.BigEndian.AppendUint64([]byte{0x82, 0xFF}, n)
	}
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	mask := []byte{1, 2, 3, 4}
	anyCode := []int{CloseProtocolError, CloseInvalidData, CloseTooLarge}
	for _, tc := range []struct {
		name      string
		in        []byte
		halfClose bool   // then end the client's side (FIN)
		echo      string // a message echoed before the end
		codes     []int  // the close frame's code, one of; none: no close frame
		endErr    string // in OnClose's error; "" for nil, "*" for any
	}{
		{"random seed 1", random(1), false, "", anyCode, "*"},
		{"random seed 2", random(2), false, "", anyCode, "*"},
		{"random seed 3", random(3), false, "", anyCode, "*"},
		{"random seed 4", random(4), false, "", anyCode, "*"},
		{"random after a message", cat(clientFrame(0x81, []byte("ok")), random(5)), false, "ok", anyCode, "*"},
		{"length 2^63", cat(long(1<<63), mask), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"length 2^64-1", cat(long(1<<64-1), mask), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"length 2^62", cat(long(1<<62), mask), false, "", []int{CloseTooLarge}, ErrTooLarge.Error()},
		{"length MaxMessage+1", cat([]byte{0x82, 0x80 | 126, maxMsg >> 8, maxMsg&0xFF + 1}, mask), false, "", []int{CloseTooLarge}, ErrTooLarge.Error()},
		{"fragments past MaxMessage", cat(clientFrame(0x02, make([]byte, 600)), clientFrame(0x80, make([]byte, 600))), false, "", []int{CloseTooLarge}, ErrTooLarge.Error()},
		{"ping of 126 bytes", clientFrame(0x89, make([]byte, 126)), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"close of 126 bytes", clientFrame(0x88, make([]byte, 126)), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"fragmented ping", clientFrame(0x09, []byte("x")), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"unmasked text", []byte{0x81, 0x02, 'h', 'i'}, false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"RSV1", clientFrame(0xC1, []byte("hi")), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"RSV3", clientFrame(0x91, []byte("hi")), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"opcode 0x3", clientFrame(0x83, []byte("hi")), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"opcode 0xB", clientFrame(0x8B, []byte("hi")), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"continuation first", clientFrame(0x80, []byte("x")), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"text inside a fragmented message", cat(clientFrame(0x01, []byte("a")), clientFrame(0x81, []byte("b"))), false, "", []int{CloseProtocolError}, errProtocol.Error()},
		{"invalid UTF-8", clientFrame(0x81, []byte{0xff, 0xfe}), false, "", []int{CloseInvalidData}, "UTF-8"},
		{"invalid UTF-8 across fragments", cat(clientFrame(0x01, []byte{0xe2, 0x82}), clientFrame(0x80, []byte{0x28})), false, "", []int{CloseInvalidData}, "UTF-8"},
		{"truncated header, FIN", []byte{0x82}, true, "", nil, io.EOF.Error()},
		{"truncated 64-bit length, FIN", []byte{0x82, 0xFF, 0, 0, 0}, true, "", nil, io.EOF.Error()},
		{"truncated mask, FIN", []byte{0x82, 0x85, 1, 2}, true, "", nil, io.EOF.Error()},
		{"truncated payload, FIN", clientFrame(0x82, make([]byte, 10))[:9], true, "", nil, io.EOF.Error()},
		{"unfinished fragments, FIN", clientFrame(0x02, []byte("ab")), true, "", nil, io.EOF.Error()},
		{"client close 4000", clientFrame(0x88, []byte{0x0f, 0xa0}), false, "", []int{4000}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, Options{MaxMessage: maxMsg}, 0, false)
			good := dial(t, s.url)
			_ = s.next(t)
			roundTrip(t, good, "before")
			nc, br := rawDial(t, s)
			bad := s.next(t)
			if _, err := nc.Write(tc.in); err != nil {
				t.Fatal(err)
			}
			if tc.halfClose {
				_ = nc.CloseWrite()
			}
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			var echoed []string
			code := -1
			var err error
			for code < 0 {
				var op byte
				var p []byte
				if op, p, err = serverFrame(br); err != nil {
					break
				}
				switch op & 0x0F {
				case opClose:
					if len(p) < 2 {
						t.Fatalf("close frame of %d bytes", len(p))
					}
					code = int(binary.BigEndian.Uint16(p))
				case opText, opBinary:
					echoed = append(echoed, string(p))
				}
			}
			if tc.echo != "" && (len(echoed) == 0 || echoed[0] != tc.echo) {
				t.Errorf("echoed %q before the end, want %q first", echoed, tc.echo)
			}
			if len(tc.codes) == 0 {
				if code >= 0 || !closedByPeer(err) {
					t.Errorf("got close %d / %v, want the connection ended without a close frame", code, err)
				}
			} else {
				if !slices.Contains(tc.codes, code) {
					t.Errorf("close code %d (%v), want one of %v", code, err, tc.codes)
				}
				// Then the server ends the TCP connection.
				_, rerr := br.ReadByte()
				if !closedByPeer(rerr) {
					t.Errorf("after the close frame: %v, want the connection ended", rerr)
				}
			}
			e := s.end(t, 5*time.Second)
			switch {
			case e.c != bad:
				t.Errorf("OnClose for another conn (%v)", e.err)
			case tc.endErr == "" && e.err != nil, tc.endErr == "*" && e.err == nil,
				tc.endErr != "" && tc.endErr != "*" && (e.err == nil || !strings.Contains(e.err.Error(), tc.endErr)):
				t.Errorf("OnClose(%v), want %q", e.err, tc.endErr)
			}
			t.Logf("close %d, OnClose(%v)", code, e.err)
			if d := roundTrip(t, good, "after"); d > time.Second {
				t.Errorf("echo took %v after the hostile client", d)
			}
		})
	}
}

// wsconnGoroutines counts goroutines running a Conn's read or write code.
func wsconnGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "wsconn.(*Conn).") {
			n++
		}
	}
	return n
}

// TestHalfOpenFrameHoldsNoGoroutine: a client that sends part of a frame
// and goes silent (no FIN) is not closed by anything at this layer (no
// read deadline, no idle timeout); while it waits its conn holds no
// goroutine, only the partial frame's bytes, and the frame's rest, when
// it comes, completes the message.
func TestHalfOpenFrameHoldsNoGoroutine(t *testing.T) {
	const perCut = 10
	small := make([]byte, 100)
	big := make([]byte, 70_000) // a 64-bit length
	for i := range big {
		big[i] = byte(i * 7)
	}
	copy(small, big)
	fs, fb := clientFrame(0x82, small), clientFrame(0x82, big)
	type half struct {
		nc    *net.TCPConn
		br    *bufio.Reader
		frame []byte
		cut   int
	}
	s := startServer(t, Options{}, 0, false)
	good := dial(t, s.url)
	_ = s.next(t)
	roundTrip(t, good, "before")
	before := runtime.NumGoroutine()
	var halves []half
	for _, cut := range []struct {
		frame []byte
		at    int
	}{
		{fs, 1}, {fs, 2}, {fs, 5}, {fs, 6}, {fs, 50}, {fs, len(fs) - 1},
		{fb, 5}, {fb, 14}, {fb, 30_000}, {fb, len(fb) - 1},
	} {
		for range perCut {
			nc, br := rawDial(t, s)
			_ = s.next(t)
			// A whole message and the part in one write: its echo says the
			// server has read the part too.
			if _, err := nc.Write(append(clientFrame(0x81, []byte("sync")), cut.frame[:cut.at]...)); err != nil {
				t.Fatal(err)
			}
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			if op, p, err := serverFrame(br); err != nil || op != 0x81 || string(p) != "sync" {
				t.Fatalf("sync echo: %#x %q %v", op, p, err)
			}
			halves = append(halves, half{nc, br, cut.frame, cut.at})
		}
	}
	n := len(halves)
	// While they wait: no goroutine in any Conn, none per conn at all,
	// and no conn ended.
	waitFor(t, 5*time.Second, "conns idle with half frames hold no goroutine", func() bool {
		return wsconnGoroutines() == 0 && runtime.NumGoroutine()-before <= n/10
	})
	for range 3 {
		time.Sleep(100 * time.Millisecond)
		if g, d := wsconnGoroutines(), runtime.NumGoroutine()-before; g != 0 || d > n/10 {
			t.Fatalf("%d conns with half frames: %d goroutines in Conn code, %d more in all", n, g, d)
		}
	}
	s.noEnd(t)
	roundTrip(t, good, "meanwhile")
	// The rest of each frame completes it.
	for i, h := range halves {
		if _, err := h.nc.Write(h.frame[h.cut:]); err != nil {
			t.Fatal(err)
		}
		_ = h.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		op, p, err := serverFrame(h.br)
		want := small
		if len(h.frame) == len(fb) {
			want = big
		}
		if err != nil || op != 0x82 || !bytes.Equal(p, want) {
			t.Fatalf("conn %d (cut at %d): echo %#x of %d bytes, %v", i, h.cut, op, len(p), err)
		}
	}
	s.noEnd(t)
}
