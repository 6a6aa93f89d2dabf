package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pushio/pushio/static"
	engine "github.com/zishang520/socket.io/servers/engine/v3"
)

// routes puts Socket.IO under its path, the client bundle beside it and,
// when enabled, the demo page at /. Only the Socket.IO path handshakes.
func (s *Server) routes(eio engine.BaseServer, h http.Handler) http.Handler {
	mux := http.NewServeMux()
	prefix := strings.TrimRight(s.opts.Path, "/")
	mux.Handle(prefix+"/", protect(eio, h, s.opts.CORSOrigins, s.log))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	files := http.FileServerFS(static.FS())
	bundle := clientBundle()
	mux.HandleFunc("GET "+prefix+"/socket.io.js", bundle)
	mux.HandleFunc("GET "+prefix+"/socket.io.min.js", bundle)
	if s.opts.Demo {
		mux.Handle("/", files)
		demo := []byte(`{"api_port":"` + s.opts.DemoAPIPort + `"}`)
		mux.HandleFunc("GET /demo.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(demo)
		})
	}
	return mux
}

// clientBundle serves the embedded socket.io client with an ETag of its
// content and Cache-Control "public, max-age=0", as Socket.IO's own server
// does: a page load revalidates the script (304) instead of downloading it
// again, and a new pushio build is fetched at once. Without a bundle (not
// built: make static) it answers 404.
func clientBundle() http.HandlerFunc {
	b, err := fs.ReadFile(static.FS(), static.ClientBundle)
	if err != nil {
		return http.NotFound
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=0")
		w.Header().Set("ETag", etag)
		http.ServeContent(w, r, path.Base(static.ClientBundle), time.Time{}, bytes.NewReader(b))
	}
}

// protect puts pushio's work-arounds in front of the Engine.IO handler h of
// eio: the origin check and polling GET deadline of guard, and the polling
// POST check of checkPollingPosts. The deadline is one ping cycle, by which
// the library answers every poll it has not lost.
func protect(eio engine.BaseServer, h http.Handler, origins []string, log *slog.Logger) http.Handler {
	o := eio.Opts()
	return guard(checkPollingPosts(eio, h, log), origins, o.PingInterval()+o.PingTimeout())
}

// guard refuses browsers from origins outside the allow-list (websocket
// upgrades are not covered by CORS) and puts a deadline on polling GETs,
// which the library (v3.0.6) can leave unanswered when one races a
// transport close. The library watches the request's context: at the
// deadline it drops the poll (and with it the session), returns without
// writing, and guard answers 400 so the client reconnects.
func guard(next http.Handler, origins []string, deadline time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !originAllowed(origins, origin) {
			http.Error(w, `{"code":4,"message":"Origin not allowed"}`, http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet || r.URL.Query().Get("transport") != "polling" || deadline <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), deadline)
		defer cancel()
		rw := &watchedWriter{ResponseWriter: w}
		next.ServeHTTP(rw, r.WithContext(ctx))
		if !rw.wrote.Load() && ctx.Err() != nil && r.Context().Err() == nil {
			badRequest(w)
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

func originAllowed(origins []string, origin string) bool {
	return len(origins) == 0 || slices.Contains(origins, "*") ||
		slices.ContainsFunc(origins, func(o string) bool { return strings.EqualFold(o, origin) })
}
