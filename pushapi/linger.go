package pushapi

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pushio/pushio/internal/metrics"
)

// A body over MaxBody is answered 413 + fail, then read and thrown away
// for at most lingerTime and lingerBytes before the connection closes, as
// Apache's and nginx's lingering close do. Closing at once, with the rest
// of the body unread, makes the kernel reset the connection, and a client
// still sending (Node's http client) loses the answer to ECONNRESET.
const (
	lingerTime  = 5 * time.Second
	lingerBytes = 64 << 20
)

// tooLarge answers a request whose body is over MaxBody, then lingers.
func (a *api) tooLarge(c *gin.Context) {
	c.Header("Connection", "close")
	c.Header("Content-Length", strconv.Itoa(len(answerFail))) // not chunked: the answer is whole when flushed
	a.fail(c, http.StatusRequestEntityTooLarge, metrics.ResultFail)
	c.Writer.Flush()
	// gin refuses to hand over a connection it wrote an answer on; the
	// server's own writer does, after the flush above.
	var w http.ResponseWriter = c.Writer
	if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
		w = u.Unwrap()
	}
	lingerClose(w)
}

// lingerClose takes the connection from the HTTP server, ends its writing
// side (the client reads the answer and then EOF), discards what the
// client still sends within the bounds, and closes it. Where the
// connection cannot be taken (HTTP/2, whose streams end without a reset
// of the connection), the server closes it as usual.
func lingerClose(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = conn.SetDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, buf, lingerBytes)
}
