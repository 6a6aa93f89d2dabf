// Package pushapi is the HTTP publish API that PHP (or any) backends call
// with curl: type=publish&to=UID&content=… answered ok, offline or fail,
// as web-msg-sender answers, plus type=online and type=count.
//
// It turns a request into the exact string clients receive (escaped once,
// here) and hands it to a Publisher; it knows nothing of Socket.IO.
package pushapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pushio/pushio/adapter"
)

// Publisher is what the API needs from the Socket.IO side.
type Publisher interface {
	// Publish sends content as new_msg to the uids in to, or to everyone
	// when to is empty, and reports which uids were online.
	Publish(ctx context.Context, to []string, content string) ([]bool, error)
	// Online reports which uids have a socket anywhere in the cluster.
	Online(ctx context.Context, uids []string) ([]bool, error)
	// Counts returns the cluster-wide logged-in uids and sockets.
	Counts(ctx context.Context) (adapter.Counts, error)
}

// Options configure the API handler.
type Options struct {
	// MaxBody is the largest request body in bytes (413 + fail beyond).
	MaxBody int64
	// MaxURL is the longest request URI in bytes (413 + fail beyond).
	MaxURL int
	// CallTimeout bounds the Publisher call of one request.
	CallTimeout time.Duration
	// Ready reports whether the instance can serve (/readyz); nil is always.
	Ready func(context.Context) error
}

// Answers, as the original sends them.
const (
	answerOK      = "ok"
	answerOffline = "offline"
	answerFail    = "fail"
	answerOnline  = "online"
	// contentType is the original's header, byte for byte.
	contentType = "text/html;charset=utf-8"
)

// Reserved paths answer probes; every other path publishes.
const (
	PathHealth = "/healthz"
	PathReady  = "/readyz"
)

type api struct {
	pub  Publisher
	opts Options
	log  *slog.Logger
}

// New returns the API's http.Handler.
func New(pub Publisher, opts Options, log *slog.Logger) http.Handler {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 5 * time.Second
	}
	a := &api{pub: pub, opts: opts, log: log}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = false
	r.Use(a.recover, a.limits)
	r.GET(PathHealth, func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	r.GET(PathReady, a.ready)
	r.NoRoute(a.serve)
	return r
}

// recover answers fail instead of dropping the connection on a panic.
func (a *api) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			a.log.Error("api: panic serving request", "path", c.Request.URL.Path, "panic", v)
			reply(c, http.StatusInternalServerError, answerFail)
			c.Abort()
		}
	}()
	c.Next()
}

// limits refuses URLs and bodies over the configured sizes.
func (a *api) limits(c *gin.Context) {
	if a.opts.MaxURL > 0 && len(c.Request.RequestURI) > a.opts.MaxURL {
		reply(c, http.StatusRequestEntityTooLarge, answerFail)
		c.Abort()
		return
	}
	if a.opts.MaxBody > 0 {
		if c.Request.ContentLength > a.opts.MaxBody {
			reply(c, http.StatusRequestEntityTooLarge, answerFail)
			c.Abort()
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, a.opts.MaxBody)
	}
	c.Next()
}

func (a *api) ready(c *gin.Context) {
	if a.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), a.opts.CallTimeout)
		defer cancel()
		if err := a.opts.Ready(ctx); err != nil {
			c.String(http.StatusServiceUnavailable, "not ready: %v\n", err)
			return
		}
	}
	c.String(http.StatusOK, "ok\n")
}

// serve answers every non-reserved path: GET and POST publish, any other
// method is refused. A reserved path reaches it only with a method other
// than GET, which is refused rather than taken for a publish.
func (a *api) serve(c *gin.Context) {
	if reserved(c.Request.URL.Path) {
		c.Header("Allow", "GET")
		reply(c, http.StatusMethodNotAllowed, answerFail)
		return
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodPost {
		c.Header("Allow", "GET, POST")
		reply(c, http.StatusMethodNotAllowed, answerFail)
		return
	}
	p, err := readParams(c.Request)
	if err != nil {
		a.refuse(c, err)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), a.opts.CallTimeout)
	defer cancel()
	kind, _, _ := p.scalar("type")
	switch kind {
	case "publish":
		a.publish(ctx, c, p)
	case "online":
		a.online(ctx, c, p)
	case "count":
		a.count(ctx, c)
	default:
		reply(c, http.StatusOK, answerFail)
	}
}

// refuse answers a request whose body could not be read.
func (a *api) refuse(c *gin.Context, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		reply(c, http.StatusRequestEntityTooLarge, answerFail)
	case errors.Is(err, errBadBody):
		a.log.Debug("api: refused request", "err", err)
		reply(c, http.StatusBadRequest, answerFail)
	default:
		a.log.Debug("api: reading request failed", "err", err)
		reply(c, http.StatusBadRequest, answerFail)
	}
}

// unavailable answers a request the Publisher could not serve.
func (a *api) unavailable(c *gin.Context, what string, err error) {
	a.log.Warn("api: "+what+" failed", "err", err)
	reply(c, http.StatusServiceUnavailable, answerFail)
}

// reserved reports whether path is one of the probes', with or without a
// trailing slash.
func reserved(path string) bool {
	path = strings.TrimSuffix(path, "/")
	return path == PathHealth || path == PathReady
}

func reply(c *gin.Context, status int, body string) {
	c.Data(status, contentType, []byte(body))
}

func wantsJSON(c *gin.Context) bool {
	return strings.Contains(c.GetHeader("Accept"), "application/json")
}
