package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/harness"
)

// rawTimeout bounds every raw exchange with the io port.
const rawTimeout = 5 * time.Second

// rawExchange writes data on a fresh connection and reads until the
// server closes it; an error means it did not within rawTimeout.
func rawExchange(addr, data string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, rawTimeout)
	if err != nil {
		return "", fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(rawTimeout))
	if _, err := io.WriteString(conn, data); err != nil {
		return "", fmt.Errorf("write: %w", err)
	}
	answer, err := io.ReadAll(conn)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) { // reset: closed with input unread
		return string(answer), fmt.Errorf("connection not closed: %w", err)
	}
	return string(answer), nil
}

var sidRE = regexp.MustCompile(`"sid":"([^"]+)"`)

// pollingSession is an Engine.IO polling session opened by hand.
type pollingSession struct {
	url string // the session's polling URL, with its sid
}

// openPolling handshakes an Engine.IO polling session (eio "3" or "4").
func openPolling(t testing.TB, p *harness.Pushio, eio string) pollingSession {
	t.Helper()
	base := p.IOURL() + "/socket.io/?EIO=" + eio + "&transport=polling"
	status, body := e2etest.Call(t, http.MethodGet, base, "", "")
	m := sidRE.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("polling handshake EIO=%s: %d %q", eio, status, body)
	}
	return pollingSession{url: base + "&sid=" + m[1]}
}

// waitClosed fails t unless the session is gone: a poll answers 400 (after
// at most a few queued packets) instead of hanging on a live session.
func (s pollingSession) waitClosed(t testing.TB) {
	t.Helper()
	client := &http.Client{Timeout: 3 * time.Second}
	var answers []string
	for range 4 {
		resp, err := client.Get(s.url)
		if err != nil {
			t.Errorf("session still open after the malformed input (a poll got no answer: %v); answers before: %q", err, answers)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusBadRequest {
			return
		}
		answers = append(answers, fmt.Sprintf("%d %q", resp.StatusCode, b))
	}
	t.Errorf("session still open after the malformed input: polls answered %q", answers)
}

// wsGarbage opens an Engine.IO websocket session by hand, sends frames as
// text and expects the server to close the connection.
func wsGarbage(addr, eio string, frames []string) error {
	conn, err := net.DialTimeout("tcp", addr, rawTimeout)
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(rawTimeout))
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	fmt.Fprintf(conn, "GET /socket.io/?EIO=%s&transport=websocket HTTP/1.1\r\nHost: %s\r\n"+
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n",
		eio, addr, base64.StdEncoding.EncodeToString(key))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("websocket handshake: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("websocket handshake: status %d", resp.StatusCode)
	}
	for _, f := range frames {
		if _, err := conn.Write(maskedText(f)); err != nil {
			return fmt.Errorf("writing %q: %w", f, err)
		}
	}
	var got []string
	for {
		op, payload, err := readFrame(br)
		switch {
		case errors.Is(err, io.EOF), op == 8:
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			return fmt.Errorf("after %q the connection is still open within %s (got %q)", frames, rawTimeout, got)
		case err != nil:
			return nil // reset: closed as well
		}
		got = append(got, string(payload))
	}
}

// maskedText is one client text frame.
func maskedText(s string) []byte {
	n := len(s)
	b := []byte{0x81}
	if n < 126 {
		b = append(b, 0x80|byte(n))
	} else {
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	}
	mask := []byte{0x12, 0x34, 0x56, 0x78}
	b = append(b, mask...)
	for i := range n {
		b = append(b, s[i]^mask[i%4])
	}
	return b
}

// readFrame reads one unmasked server frame and returns its opcode.
func readFrame(r *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126, 127:
		ext := make([]byte, map[uint64]int{126: 2, 127: 8}[n])
		if _, err := io.ReadFull(r, ext); err != nil {
			return 0, nil, err
		}
		n = 0
		for _, c := range ext {
			n = n<<8 | uint64(c)
		}
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	payload := make([]byte, n)
	_, err := io.ReadFull(r, payload)
	return h[0] & 0x0f, payload, err
}
