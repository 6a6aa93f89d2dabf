package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// rawServer answers each request on a connection with the next of answers
// and closes the connection after the ones marked with a trailing "|close".
func rawServer(t *testing.T, answers ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		next := 0
		for next < len(answers) {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(c)
			for next < len(answers) {
				if !readRequest(br) {
					break
				}
				a, closeAfter := strings.CutSuffix(answers[next], "|close")
				next++
				_, _ = c.Write([]byte(a))
				if closeAfter {
					break
				}
			}
			_ = c.Close()
		}
	}()
	return ln.Addr().String()
}

func readRequest(br *bufio.Reader) bool {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		if line == "\r\n" {
			return true
		}
	}
}

func TestAPIConn(t *testing.T) {
	const ok = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok"
	for _, tc := range []struct {
		name    string
		answers []string
		want    []string // bodies, or "error"
	}{
		{"keep-alive", []string{ok, ok}, []string{"ok", "ok"}},
		{"server closes an idle connection", []string{ok + "|close", ok}, []string{"ok", "ok"}},
		{"Connection: close", []string{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 7\r\n\r\noffline", ok},
			[]string{"offline", "ok"}},
		// Gin chunks a batch's answer past its buffer.
		{"chunked, then keep-alive", []string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\n[{}\r\nA\r\n,{},{},{}]\r\n0\r\nX-Trailer: 1\r\n\r\n", ok},
			[]string{"[{},{},{},{}]", "ok"}},
		{"malformed chunk size", []string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n|close"}, []string{"error"}},
		{"chunk longer than sent", []string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nok|close"}, []string{"error"}},
		{"other Transfer-Encoding", []string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok|close"}, []string{"error"}},
		{"no length", []string{"HTTP/1.1 200 OK\r\n\r\nok|close"}, []string{"error"}},
		{"not HTTP", []string{"SSH-2.0\r\n\r\n|close"}, []string{"error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPIConn(rawServer(t, tc.answers...), 5*time.Second)
			defer a.Close()
			for i, want := range tc.want {
				status, body, err := a.Get("/?type=publish&to=u1&content=x")
				switch {
				case want == "error" && err == nil:
					t.Errorf("request %d: answer %d %q, want an error", i, status, body)
				case want != "error" && (err != nil || status != 200 || string(body) != want):
					t.Errorf("request %d: %d %q %v, want 200 %q", i, status, body, err, want)
				}
			}
		})
	}
}
