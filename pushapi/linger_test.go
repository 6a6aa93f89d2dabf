package pushapi

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/settings"
)

// TestTooLargeBodyIsReadByEveryClient: a client that sends its whole body
// before it reads (as Node's http client does) reads 413 + fail; the
// connection was reset under it before (ECONNRESET). Declared and chunked
// bodies both.
func TestTooLargeBodyIsReadByEveryClient(t *testing.T) {
	t.Parallel()
	_, base := startAPI(t, Options{Requests: settings.Requests{MaxBody: 1024}})
	addr := strings.TrimPrefix(base, "http://")
	const size = 8 << 20
	tests := []struct {
		name   string
		header string
		body   func(w io.Writer) error
	}{
		{"content-length", fmt.Sprintf("Content-Length: %d\r\n", size), func(w io.Writer) error {
			return writeChunks(w, size, nil)
		}},
		{"chunked", "Transfer-Encoding: chunked\r\n", func(w io.Writer) error {
			err := writeChunks(w, size, func(n int) string { return fmt.Sprintf("%x\r\n", n) })
			if err == nil {
				_, err = io.WriteString(w, "0\r\n\r\n")
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
			head := "POST / HTTP/1.1\r\nHost: pushio\r\nContent-Type: application/x-www-form-urlencoded\r\n" + tt.header + "\r\n"
			if _, err := io.WriteString(conn, head); err != nil {
				t.Fatal(err)
			}
			if err := tt.body(conn); err != nil {
				t.Fatalf("writing the body: %v (the server reset the connection before the client read its answer)", err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge || string(body) != answerFail {
				t.Fatalf("answer %d %q (%v), want 413 fail", resp.StatusCode, body, err)
			}
		})
	}
}

// writeChunks writes size bytes of form data in 32 KiB pieces, each after
// prefix(n) when prefix is set (chunked encoding, ended by \r\n).
func writeChunks(w io.Writer, size int, prefix func(n int) string) error {
	piece := strings.Repeat("x", 32<<10)
	for sent := 0; sent < size; sent += len(piece) {
		s := piece
		if prefix != nil {
			s = prefix(len(piece)) + piece + "\r\n"
		}
		if _, err := io.WriteString(w, s); err != nil {
			return err
		}
	}
	return nil
}
