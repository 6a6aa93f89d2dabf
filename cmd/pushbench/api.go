package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
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
	if length == chunked {
		err = a.readChunks()
	} else {
		a.body, err = readN(a.br, a.body[:0], length)
	}
	if err != nil {
		return 0, nil, err
	}
	if !keep {
		a.Close()
	}
	return status, a.body, nil
}

// chunked is readHeaders' length of a chunked body (Gin sends one for a
// batch's answer past its buffer).
const chunked = -2

// readN appends n bytes from br to buf.
func readN(br *bufio.Reader, buf []byte, n int) ([]byte, error) {
	buf = slices.Grow(buf, n)[:len(buf)+n]
	if _, err := io.ReadFull(br, buf[len(buf)-n:]); err != nil {
		return nil, fmt.Errorf("reading %d-byte body: %w", n, err)
	}
	return buf, nil
}

// readChunks reads a chunked body into a.body, trailers skipped.
func (a *apiConn) readChunks() error {
	a.body = a.body[:0]
	for {
		line, err := a.br.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("reading chunk size: %w", err)
		}
		sizeText, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		size, err := strconv.ParseUint(string(bytes.TrimSpace(sizeText)), 16, 31)
		if err != nil {
			return fmt.Errorf("malformed chunk size %q", line)
		}
		if size == 0 {
			break
		}
		if a.body, err = readN(a.br, a.body, int(size)); err != nil {
			return err
		}
		if line, err = a.br.ReadSlice('\n'); err != nil || len(bytes.TrimRight(line, "\r\n")) != 0 {
			return fmt.Errorf("chunk not followed by CRLF: %q, %v", line, err)
		}
	}
	for { // trailers, up to the empty line
		line, err := a.br.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("reading trailers: %w", err)
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return nil
		}
	}
}

// readHeaders returns Content-Length (or chunked) and whether the
// connection stays open.
func (a *apiConn) readHeaders() (length int, keep bool, err error) {
	length, keep = -1, true
	isChunked := false
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
			if !bytes.EqualFold(value, []byte("chunked")) {
				return 0, false, fmt.Errorf("unsupported Transfer-Encoding %q", value)
			}
			isChunked = true
		}
	}
	if isChunked {
		return chunked, keep, nil
	}
	if length < 0 {
		return 0, false, errors.New("answer without Content-Length or chunks")
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
