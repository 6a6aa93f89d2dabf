package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// apiConn is one keep-alive HTTP/1.1 connection to a publish API, with no
// more machinery than a GET, a POST and a Content-Length answer need: net/http's
// client costs the publisher as much CPU as the server spends answering,
// and both share this machine.
type apiConn struct {
	addr    string
	timeout time.Duration
	conn    net.Conn
	br      *bufio.Reader
	req     []byte
	body    []byte
	// reused is true once the connection has served a request: a server
	// may close an idle keep-alive connection as the next request is sent.
	reused bool
}

func newAPIConn(addr string, timeout time.Duration) *apiConn {
	return &apiConn{addr: addr, timeout: timeout}
}

// errNoAnswer is a connection closed before any byte of the answer.
var errNoAnswer = errors.New("connection closed before the answer")

// Get requests target (path and query, already escaped) and returns the
// status and body; the body is valid until the next call. A request that
// a reused connection dropped unanswered is sent once more on a new one,
// as net/http does for GET.
func (a *apiConn) Get(target string) (int, []byte, error) {
	return a.do("GET", target, nil)
}

// PostJSON posts body as application/json to target, as Get does: the
// server closes an idle keep-alive connection only between requests, so a
// request it dropped unanswered was not served and is sent once more.
func (a *apiConn) PostJSON(target string, body []byte) (int, []byte, error) {
	return a.do("POST", target, body)
}

func (a *apiConn) do(method, target string, body []byte) (int, []byte, error) {
	status, answer, err := a.roundTrip(method, target, body)
	if errors.Is(err, errNoAnswer) && a.reused {
		a.Close()
		status, answer, err = a.roundTrip(method, target, body)
	}
	if err != nil {
		a.Close()
		return 0, nil, fmt.Errorf("api %s: %s %s: %w", a.addr, method, target, err)
	}
	a.reused = true
	return status, answer, nil
}

func (a *apiConn) roundTrip(method, target string, body []byte) (int, []byte, error) {
	if a.conn == nil {
		c, err := net.DialTimeout("tcp", a.addr, a.timeout)
		if err != nil {
			return 0, nil, err
		}
		a.conn, a.br, a.reused = c, bufio.NewReaderSize(c, 1024), false
	}
	_ = a.conn.SetDeadline(time.Now().Add(a.timeout))
	a.req = append(append(append(append(a.req[:0], method...), ' '), target...), " HTTP/1.1\r\nHost: pushbench\r\n"...)
	if body != nil {
		a.req = append(a.req, "Content-Type: application/json\r\nContent-Length: "...)
		a.req = append(strconv.AppendInt(a.req, int64(len(body)), 10), "\r\n"...)
	}
	a.req = append(append(a.req, "\r\n"...), body...)
	if _, err := a.conn.Write(a.req); err != nil {
		return 0, nil, fmt.Errorf("%w: %w", errNoAnswer, err)
	}
	return a.readResponse()
}

func (a *apiConn) readResponse() (int, []byte, error) {
	line, err := a.br.ReadSlice('\n')
	if err != nil {
		if len(line) == 0 && (errors.Is(err, io.EOF) || isReset(err)) {
			return 0, nil, fmt.Errorf("%w: %w", errNoAnswer, err)
		}
		return 0, nil, fmt.Errorf("reading status line: %w", err)
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, nil, fmt.Errorf("malformed status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("malformed status line %q", line)
	}
	length, keep, err := a.readHeaders()
	if err != nil {
		return 0, nil, err
	}
	if cap(a.body) < length {
		a.body = make([]byte, length)
	}
	a.body = a.body[:length]
	if _, err := io.ReadFull(a.br, a.body); err != nil {
		return 0, nil, fmt.Errorf("reading %d-byte body: %w", length, err)
	}
	if !keep {
		a.Close()
	}
	return status, a.body, nil
}

// readHeaders returns Content-Length (required: both servers send it) and
// whether the connection stays open.
func (a *apiConn) readHeaders() (length int, keep bool, err error) {
	length, keep = -1, true
	for {
		line, err := a.br.ReadSlice('\n')
		if err != nil {
			return 0, false, fmt.Errorf("reading headers: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, false, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, false, fmt.Errorf("unsupported Transfer-Encoding %q", value)
		}
	}
	if length < 0 {
		return 0, false, errors.New("answer without Content-Length")
	}
	return length, keep, nil
}

// Close drops the connection; the next Get dials again.
func (a *apiConn) Close() {
	if a.conn != nil {
		_ = a.conn.Close()
		a.conn, a.br = nil, nil
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}
