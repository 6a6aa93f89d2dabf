package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// pollTransport is an Engine.IO 4 long-polling client on one keep-alive
// connection: a GET waits for the server's packets (separated by \x1e),
// and a packet to send is a POST made between two GETs, as a client that
// handles each poll's answer before polling again does.
type pollTransport struct {
	nc   net.Conn
	br   *bufio.Reader
	host string
	path string // up to the query: /socket.io/?EIO=4&transport=polling
	sid  string
	req  []byte
}

const maxPollBody = 1 << 20

func dialPolling(ctx context.Context, d *net.Dialer, addr, path string) (*pollTransport, error) {
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", addr, err)
	}
	return &pollTransport{nc: nc, br: bufio.NewReaderSize(nc, 512), host: addr,
		path: path + "/?EIO=4&transport=polling"}, nil
}

func (t *pollTransport) Close() error                      { return t.nc.Close() }
func (t *pollTransport) SetReadDeadline(d time.Time) error { return t.nc.SetReadDeadline(d) }

func (t *pollTransport) send(p []byte) error {
	body, err := t.do("POST", p)
	if err == nil && string(body) != "ok" {
		err = fmt.Errorf("POST answered %q", body)
	}
	return err
}

func (t *pollTransport) serve(c *client) error {
	for {
		body, err := t.do("GET", nil)
		if err != nil {
			return err
		}
		for pkt := range bytes.SplitSeq(body, []byte{0x1e}) {
			if t.sid == "" {
				if t.sid = openSID(pkt); t.sid == "" {
					return fmt.Errorf("the handshake answered %q", body)
				}
			}
			if err := c.handle(pkt); err != nil {
				return err
			}
		}
	}
}

// openSID is the sid of an open packet 0{"sid":"…",…}, or "".
func openSID(pkt []byte) string {
	const key = `"sid":"`
	i := bytes.Index(pkt, []byte(key))
	if len(pkt) == 0 || pkt[0] != '0' || i < 0 {
		return ""
	}
	rest := pkt[i+len(key):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return ""
	}
	return string(rest[:end])
}

// do makes one request on the connection and returns the 200 answer's body.
func (t *pollTransport) do(method string, body []byte) ([]byte, error) {
	r := append(t.req[:0], method...)
	r = append(r, ' ')
	r = append(r, t.path...)
	if t.sid != "" {
		r = append(append(r, "&sid="...), t.sid...)
	}
	r = append(append(append(r, " HTTP/1.1\r\nHost: "...), t.host...), "\r\n"...)
	if method == "POST" {
		r = append(r, "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: "...)
		r = strconv.AppendInt(r, int64(len(body)), 10)
		r = append(r, "\r\n"...)
	}
	r = append(append(r, "\r\n"...), body...)
	t.req = r
	if _, err := t.nc.Write(r); err != nil {
		return nil, fmt.Errorf("sending a %s: %w", method, err)
	}
	resp, err := http.ReadResponse(t.br, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the %s answer: %w", method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPollBody))
	if err != nil {
		return nil, fmt.Errorf("reading the %s answer: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d %q", method, resp.StatusCode, b)
	}
	return b, nil
}
