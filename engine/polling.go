package engine

import (
	"errors"
	"io"
	"net/http"

	"github.com/pushio/pushio/engine/parser"
)

// poll answers a polling GET with what is queued, waiting for something
// when nothing is.
func (s *Session) poll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.transport != transportPolling {
		s.mu.Unlock()
		Refuse(w, http.StatusBadRequest, CodeBadRequest, "Bad request")
		return
	}
	if s.state == stateOpen && s.expired() {
		s.mu.Unlock()
		s.end(ReasonPingTimeout)
		Refuse(w, http.StatusBadRequest, CodeUnknownSID, "Session ID unknown")
		return
	}
	if s.waiter != nil || s.parked != nil {
		s.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		s.end(ReasonTransportError) // overlap from client
		return
	}
	if len(s.queue) == 0 && s.state != stateClosed && !s.probing {
		if s.wait(w, r) {
			return // parked, or closed prematurely
		}
	}
	packets, closing := s.takeAnswer()
	reason := s.reason
	s.mu.Unlock()
	s.respond(w, r, packets)
	if closing {
		s.end(reason)
	}
}

// wait parks the poll r (park.go) or waits, s.mu held, for something to
// answer it with. It returns with s.mu held and false when there is;
// true, with s.mu released, when the poll was parked or the client closed
// it.
func (s *Session) wait(w http.ResponseWriter, r *http.Request) bool {
	if pk := s.srv.park(w, r, s); pk != nil {
		s.parked = pk
		s.mu.Unlock()
		return true
	}
	ch := make(chan struct{}, 1)
	s.waiter = ch
	s.mu.Unlock()
	select {
	case <-ch:
	case <-r.Context().Done():
	}
	s.mu.Lock()
	s.waiter = nil
	if r.Context().Err() != nil {
		s.mu.Unlock()
		s.end(ReasonTransportError) // poll closed prematurely
		return true
	}
	return false
}

// respond writes packets as the answer to the poll r, in the payload
// framing r asks for.
func (s *Session) respond(w http.ResponseWriter, r *http.Request, packets []parser.Packet) {
	q := r.URL.Query()
	binary := s.protocol == 3 && !s.b64 && !q.Has("b64") && !q.Has("j")
	body, ctype := parser.AppendPayload(nil, s.protocol, packets, binary)
	if j := q.Get("j"); j != "" && s.protocol == 3 {
		body, ctype = parser.JSONP(nil, j, body), parser.ContentTypeJSONP
	}
	w.Header().Set("Content-Type", ctype)
	_, _ = w.Write(body)
}

// post reads a polling POST's packets and hands them on.
func (s *Session) post(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	polling := s.transport == transportPolling
	expired := s.state == stateOpen && s.expired()
	s.mu.Unlock()
	if expired {
		s.end(ReasonPingTimeout)
		Refuse(w, http.StatusBadRequest, CodeUnknownSID, "Session ID unknown")
		return
	}
	if !polling {
		Refuse(w, http.StatusBadRequest, CodeBadRequest, "Bad request")
		return
	}
	limit := s.srv.opts.MaxPayload
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		Refuse(w, http.StatusBadRequest, CodeBadRequest, "Bad request")
		s.end(ReasonTransportError)
		return
	}
	if int64(len(body)) > limit {
		Refuse(w, http.StatusRequestEntityTooLarge, CodeBadRequest, "Payload too large")
		s.end(ReasonTooLarge)
		return
	}
	packets, err := s.decodeBody(r, body)
	if err != nil {
		Refuse(w, http.StatusBadRequest, CodeBadRequest, "Bad request")
		s.end(ReasonParseError)
		return
	}
	for _, p := range packets {
		s.onPacket(p)
	}
	w.Header().Set("Content-Type", "text/html")
	_, _ = w.Write([]byte("ok"))
}

var errEmptyBody = errors.New("engine: empty polling body")

// decodeBody decodes a POST body in the session's protocol, JSONP forms
// and socket.io-client 1.x's doubly encoded text included.
func (s *Session) decodeBody(r *http.Request, body []byte) ([]parser.Packet, error) {
	if len(body) == 0 {
		return nil, errEmptyBody
	}
	ctype := r.Header.Get("Content-Type")
	if s.protocol == 3 && r.URL.Query().Has("j") {
		payload, err := parser.DecodeJSONPBody(body)
		if err != nil {
			return nil, err
		}
		body, ctype = payload, "text/plain"
	}
	packets, err := parser.DecodePayload(s.protocol, body, ctype)
	if err != nil {
		return nil, err
	}
	if s.protocol == 3 {
		parser.RepairEIO3Text(packets)
	}
	return packets, nil
}
