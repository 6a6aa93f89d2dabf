package server

import (
	"bytes"
	"io"
	"net/http"
	"time"
)

// bodyDeadline bounds the time the body of a request may take to arrive.
// The io listener has no read timeout, as long polls and websockets outlive
// any; without this, a client trickling a body (a polling POST, or a body
// on any request, which net/http drains after the handler) would hold its
// connection for ever, outside every connection limit. (No client sends a
// body with a websocket upgrade; one that does keeps the deadline on its
// hijacked connection, and loses it then.)
func bodyDeadline(next http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		next.ServeHTTP(w, r)
	})
}

// limitPollingBody holds a polling POST to io.max_payload. The library
// refuses a body only when its Content-Length says it is too large, and
// cuts a chunked one short without a word; here both are refused with 413
// and close that client's session (and no other). It reports whether the
// request may go on to the engine.
func (s *Server) limitPollingBody(w http.ResponseWriter, r *http.Request, sid string) bool {
	limit := s.opts.MaxPayload
	if limit <= 0 {
		return true
	}
	if r.ContentLength < 0 {
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			writeEngineError(w, http.StatusBadRequest, engineBadRequest, "Bad request")
			return false
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	if r.ContentLength <= limit {
		return true
	}
	if es, ok := s.io.Engine().Clients().Load(sid); ok {
		s.log.Info("client disconnected: message over io.max_payload", "sid", sid, "ip", es.RemoteAddress(), "bytes", r.ContentLength)
		s.opts.Metrics.PayloadTooLarge()
		es.Close(true)
	}
	writeEngineError(w, http.StatusRequestEntityTooLarge, engineBadRequest, "Payload too large")
	return false
}
