package server

import (
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
