package server

import (
	"bytes"
	"io"
	"net/http"
)

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
