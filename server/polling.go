package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	eioparser "github.com/zishang520/socket.io/parsers/engine/v3/parser"
	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

var errEmptyPayload = errors.New("empty payload")

// checkPollingPosts reads the body of each polling POST to a live polling
// session and decodes it with the library's own Engine.IO parser before the
// library sees it. The library (v3.0.6) ignores a decoding error and keeps
// the session; the protocol closes it. So a malformed body (or one cut
// short) gets 400 and its session is closed; a valid one is handed on to
// next, repaired by fixPayload where socket.io-client 1.x needs it.
//
// Left to others: unknown sessions, upgraded ones and JSONP (old IE, a
// form-encoded body) to the library; bodies over the size limit to
// limitPollingBody (payload.go) and the library.
func checkPollingPosts(eio engine.BaseServer, next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := eio.Opts().MaxHttpBufferSize()
		sock := pollingPostSession(eio, r)
		if sock == nil || r.ContentLength > limit {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err == nil && int64(len(body)) > limit {
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
			next.ServeHTTP(w, r)
			return
		}
		_ = r.Body.Close()
		if err == nil {
			binary := r.Header.Get("Content-Type") == "application/octet-stream"
			body, err = fixPayload(sock.Protocol(), binary, body)
		}
		if err != nil {
			log.Debug("polling: bad POST body, closing the session", "sid", sock.Id(), "err", err)
			sock.Close(true)
			writeEngineError(w, http.StatusBadRequest, engineBadRequest, "Bad request")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// expirePolls puts a deadline on polling GETs, which the library (v3.0.6)
// can leave unanswered when one races a transport close. The library
// watches the request's context: at the deadline it drops the poll, closes
// the session, and returns without writing; the poll is then answered 400
// so the client reconnects at once (net/http would send an empty 200,
// which clients read as a parse error). One ping cycle is a good deadline:
// by then the library answers every poll it has not lost.
func expirePolls(next http.Handler, deadline time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Query().Get("transport") != transports.POLLING || deadline <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), deadline)
		defer cancel()
		ww := &watchedWriter{ResponseWriter: w}
		next.ServeHTTP(ww, r.WithContext(ctx))
		if !ww.wrote.Load() && ctx.Err() != nil && r.Context().Err() == nil {
			writeEngineError(w, http.StatusBadRequest, engineBadRequest, "Bad request")
		}
	})
}

// watchedWriter records whether a response was started.
type watchedWriter struct {
	http.ResponseWriter
	wrote atomic.Bool
}

func (w *watchedWriter) WriteHeader(code int) {
	w.wrote.Store(true)
	w.ResponseWriter.WriteHeader(code)
}

func (w *watchedWriter) Write(b []byte) (int, error) {
	w.wrote.Store(true)
	return w.ResponseWriter.Write(b)
}

func (w *watchedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// pollingPostSession returns the session a polling POST writes to, or nil
// when the request is anything else.
func pollingPostSession(eio engine.BaseServer, r *http.Request) engine.Socket {
	if r.Method != http.MethodPost {
		return nil
	}
	q := r.URL.Query()
	if q.Get("transport") != transports.POLLING || q.Has("j") || q.Get("sid") == "" {
		return nil
	}
	sock, ok := eio.Clients().Load(q.Get("sid"))
	if !ok || sock.Transport().Name() != transports.POLLING {
		return nil
	}
	return sock
}

// fixPayload decodes a polling POST body of the given Engine.IO protocol
// and returns it unchanged, or re-encoded when undoUTF8Twice repaired one
// of its messages, or the decoding error.
func fixPayload(protocol int, binary bool, body []byte) ([]byte, error) {
	if len(body) == 0 {
		return nil, errEmptyPayload
	}
	p := eioparser.Parserv4()
	if protocol == 3 {
		p = eioparser.Parserv3()
	}
	var in types.BufferInterface = types.NewStringBuffer(bytes.Clone(body))
	if binary {
		if protocol != 3 {
			return body, nil // the library refuses binary bodies in EIO 4 itself
		}
		in = types.NewBytesBuffer(bytes.Clone(body))
	}
	packets, err := p.DecodePayload(in)
	if err != nil {
		return nil, fmt.Errorf("decoding EIO %d payload: %w", protocol, err)
	}
	if protocol != 3 || binary || !undoUTF8TwiceAll(packets) {
		return body, nil
	}
	out, err := p.EncodePayload(packets, false)
	if err != nil {
		return nil, fmt.Errorf("re-encoding EIO 3 payload: %w", err)
	}
	return out.Bytes(), nil
}

// undoUTF8TwiceAll applies undoUTF8Twice to the text messages of packets
// and reports whether it changed any.
func undoUTF8TwiceAll(packets []*packet.Packet) bool {
	changed := false
	for _, pk := range packets {
		sb, ok := pk.Data.(*types.StringBuffer)
		if pk.Type != packet.MESSAGE || !ok {
			continue
		}
		if s, ok := undoUTF8Twice(sb.String()); ok {
			pk.Data = types.NewStringBufferString(s)
			changed = true
		}
	}
	return changed
}

// undoUTF8Twice undoes the UTF-8 encoding socket.io-client 1.x adds to the
// text of a polling payload (engine.io-parser 1.x encodePayload utf8-encodes
// every string, and XHR encodes the result once more): 张三 arrives as the
// six runes U+00E5 U+00BC U+00A0 U+00E4 U+00B8 U+0089. Clients 2.x and later
// send text as it is, and the Engine.IO 3 request does not say which client
// sent it, so s is taken as encoded twice only when every rune is at most
// U+00FF, at least one is not ASCII, and those runes read as bytes are
// valid UTF-8. Text that passes and was not encoded twice is itself
// mojibake, such as "Ã©": a lead byte Â…ô followed by the right count of
// U+0080…U+00BF (C1 controls and ¡…¿). Ordinary Latin-1 text fails the test
// ("café", "Größe", "n°"), and so does anything beyond U+00FF.
func undoUTF8Twice(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	wide := false
	for _, r := range s {
		if r > 0xFF {
			return s, false
		}
		wide = wide || r >= utf8.RuneSelf
		b = append(b, byte(r))
	}
	if !wide || !utf8.Valid(b) {
		return s, false
	}
	return string(b), true
}
