package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	eng "github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/static"
)

// routes puts Socket.IO under its path, the client bundle beside it and,
// when enabled, the demo page at /. Only the Socket.IO path handshakes.
func (s *Server) routes(engine http.Handler) http.Handler {
	mux := http.NewServeMux()
	s.mux = mux
	prefix := strings.TrimRight(s.opts.Path, "/")
	mux.Handle(prefix+"/", s.guard(engine))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		probeAnswer(w, http.StatusOK, "ok")
	})
	// /readyz here is whether this instance takes new connections: false
	// from SIGTERM on, so that a load balancer's health check moves the
	// instance's share of new pages elsewhere while it drains. Redis plays
	// no part: pages connected here keep working without it.
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if s.Draining() {
			probeAnswer(w, http.StatusServiceUnavailable, "not ready: draining")
			return
		}
		probeAnswer(w, http.StatusOK, "ok")
	})
	files := http.FileServerFS(static.FS())
	bundle := clientBundle()
	mux.HandleFunc("GET "+prefix+"/socket.io.js", bundle)
	mux.HandleFunc("GET "+prefix+"/socket.io.min.js", bundle)
	if s.opts.Demo {
		mux.Handle("/", files)
		// The page asks where to connect (io.path may not be /socket.io,
		// io.ws_path and io.sse_path may be elsewhere or off) and what the
		// API wants, which SIGHUP may change.
		mux.HandleFunc("GET /demo.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			_ = json.NewEncoder(w).Encode(demoConfig{APIPort: s.opts.DemoAPIPort, Path: prefix,
				WSPath: s.opts.Wires.WSPath, SSEPath: s.opts.Wires.SSEPath, APIAuth: *s.demoAuth.Load()})
		})
	}
	return mux
}

// APIAuth is what the demo page is told of the publish API's access, so
// that its curl hint shows where the credentials go: whether a request
// needs api.secret, and whether it must be signed with it. Two booleans,
// never the secret.
type APIAuth struct {
	Secret    bool `json:"api_secret"`
	Signature bool `json:"api_signature"`
}

// demoConfig is /demo.json.
type demoConfig struct {
	APIPort string `json:"api_port"`
	Path    string `json:"path"`
	WSPath  string `json:"ws_path"`  // "": off
	SSEPath string `json:"sse_path"` // "": off
	APIAuth
}

// probeAnswer writes a health probe's one-line plain-text answer.
func probeAnswer(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text + "\n"))
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

// guard refuses browsers from origins outside the allow-list (websocket
// upgrades are not covered by CORS) and admits new sessions under the
// limits (limits.go).
func (s *Server) guard(engine http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !s.originAllowed(origin) {
			eng.Refuse(w, http.StatusForbidden, eng.CodeForbidden, "Origin not allowed")
			return
		}
		// A GET without a session id is a handshake: a new session.
		if r.Method == http.MethodGet && r.URL.Query().Get("sid") == "" {
			var done func()
			if r, done = s.admit(w, r); r == nil {
				return
			}
			defer done()
		}
		engine.ServeHTTP(w, r)
	})
}

// guardWire is guard for another wire's route (Route): every GET opens a
// connection, and the answers carry CORS headers as the engine's do.
func (s *Server) guardWire(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !s.originAllowed(origin) {
			eng.Refuse(w, http.StatusForbidden, eng.CodeForbidden, "Origin not allowed")
			return
		}
		eng.CORS(w, r)
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method == http.MethodGet {
			var done func()
			if r, done = s.admit(w, r); r == nil {
				return
			}
			defer done()
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) originAllowed(origin string) bool {
	origins := s.opts.CORSOrigins
	return len(origins) == 0 || slices.Contains(origins, "*") ||
		slices.ContainsFunc(origins, func(o string) bool { return strings.EqualFold(o, origin) })
}
