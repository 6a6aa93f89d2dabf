package server

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/pushio/pushio/static"
)

// routes puts Socket.IO under its path, the client bundle beside it and,
// when enabled, the demo page at /. Only the Socket.IO path handshakes.
func (s *Server) routes(engine http.Handler) http.Handler {
	mux := http.NewServeMux()
	prefix := strings.TrimRight(s.opts.Path, "/")
	mux.Handle(prefix+"/", s.guard(engine))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	files := http.FileServerFS(static.FS())
	bundle := func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + static.ClientBundle
		files.ServeHTTP(w, r2)
	}
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

// guard refuses browsers from origins outside the allow-list (websocket
// upgrades are not covered by CORS), admits new sessions under the limits
// (limits.go), holds polling POSTs to the max payload (payload.go) and puts
// a deadline on polling GETs, which the library can otherwise leave
// unanswered when one races a transport close. A websocket upgrade goes on
// with a lighter request and writer (upgrade.go).
func (s *Server) guard(engine http.Handler) http.Handler {
	deadline := s.opts.PingInterval + s.opts.PingTimeout
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !s.originAllowed(origin) {
			http.Error(w, `{"code":4,"message":"Origin not allowed"}`, http.StatusForbidden)
			return
		}
		query := r.URL.Query()
		// A GET without a session id is a handshake: a new session.
		if sid := query.Get("sid"); sid == "" && r.Method == http.MethodGet {
			var done func()
			if r, done = s.admit(w, r); r == nil {
				return
			}
			defer done()
		} else if sid != "" && r.Method == http.MethodPost && !s.limitPollingBody(w, r, sid) {
			return
		}
		if r.Method == http.MethodGet && query.Get("transport") == "polling" && deadline > 0 {
			ctx, cancel := context.WithTimeout(r.Context(), deadline)
			defer cancel()
			r = r.WithContext(ctx)
		}
		engine.ServeHTTP(s.leanUpgrade(w, r))
	})
}

func (s *Server) originAllowed(origin string) bool {
	origins := s.opts.CORSOrigins
	return len(origins) == 0 || slices.Contains(origins, "*") ||
		slices.ContainsFunc(origins, func(o string) bool { return strings.EqualFold(o, origin) })
}
