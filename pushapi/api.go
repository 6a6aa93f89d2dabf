// Package pushapi is the HTTP publish API that PHP (or any) backends call
// with curl: type=publish&to=UID&content=… answered ok, offline or fail,
// as web-msg-sender answers, plus type=online and type=count.
//
// It turns a request into the exact string clients receive (escaped once,
// here) and hands it to a Publisher; it knows nothing of Socket.IO. Access
// is open by default, as the original's; Access closes it with a secret or
// signed requests, an address allow-list and a per-client rate limit, and
// Handler.SetAccess changes it while the API serves. gin's mode is
// process-wide, so New leaves it to the program (cmd/pushio runs release
// mode).
package pushapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/outage"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/push"
)

// Publisher is what the API needs from the Socket.IO side (package
// server implements it).
type Publisher interface {
	// Send carries out reqs (publishes and kicks) in order and reports
	// each one's reach: which of its targets had a page anywhere.
	Send(ctx context.Context, reqs []push.Request) ([]push.Reach, error)
	// Reach reports which uids and clients of t have a page anywhere in
	// the cluster.
	Reach(ctx context.Context, t push.Targets) (push.Reach, error)
	// Clients lists the client ids of uid's pages after the id after, at
	// most limit, and whether more follow.
	Clients(ctx context.Context, uid, after string, limit int) ([]string, bool, error)
	// Counts returns the cluster-wide logged-in uids and sockets.
	Counts(ctx context.Context) (adapter.Counts, error)
	Groups
}

// Groups is what the API needs of the groups (server.Server's methods of
// the same names).
type Groups interface {
	// JoinGroups makes every page of uids, open now or later, join groups;
	// an *adapter.TooManyGroupsError changes nothing.
	JoinGroups(ctx context.Context, uids, groups []string) error
	// LeaveGroups ends those memberships.
	LeaveGroups(ctx context.Context, uids, groups []string) error
	// JoinClients and LeaveClients do it for single pages, for their
	// life, reporting which clients have a page.
	JoinClients(ctx context.Context, clients, groups []string) ([]bool, error)
	LeaveClients(ctx context.Context, clients, groups []string) ([]bool, error)
	// Ungroup ends every membership of groups.
	Ungroup(ctx context.Context, groups []string) error
	// GroupCounts counts the uids and pages of group.
	GroupCounts(ctx context.Context, group string) (adapter.Counts, error)
	// UIDs lists online uids (of group, "" for all) from cursor.
	UIDs(ctx context.Context, group, cursor string, limit int) ([]string, string, error)
}

// Options configure the API handler.
type Options struct {
	// Requests bound one request: MaxBody (bytes of the body) and MaxURL
	// (bytes of the request URI), no bound when 0, and MaxBatch (items
	// of a batch), DefaultMaxBatch when 0; beyond, 413 + fail.
	settings.Requests
	// CallTimeout bounds the Publisher call of one request.
	CallTimeout time.Duration
	// Hold is the ttl of publishes without ttl= (0: not held) and the cap
	// of all (DefaultHoldMaxTTL when 0).
	Hold settings.Hold
	// Ready reports whether the instance can serve (/readyz); nil is always.
	Ready func(context.Context) error
	// Access says who may call the API at first; Handler.SetAccess
	// changes it.
	Access
	// Metrics counts the answers and serves /metrics; nil counts nothing.
	Metrics *metrics.Metrics
}

// Access is who may call the API and how often: the settings a running
// instance may change (on SIGHUP) without dropping a request.
type Access struct {
	// Secret, when set, must come with every request: as "Authorization:
	// Bearer <secret>" or a secret parameter (see auth.go).
	Secret string
	// Signature requires requests signed with Secret instead (see signer).
	Signature bool
	// SignatureWindow is how far auth_timestamp may be from now (5m if 0).
	SignatureWindow time.Duration
	// Allow lists the peer networks that may call the API and read
	// /metrics; empty allows all. Probes are open to all.
	Allow []netip.Prefix
	// RateLimit is the requests per second one peer may make; 0 is no limit.
	RateLimit float64
	// RateBurst is the requests a peer may make at once (RateLimit if 0).
	RateBurst int
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

// Reserved paths answer probes and metrics; every other path publishes.
const (
	PathHealth  = "/healthz"
	PathReady   = "/readyz"
	PathMetrics = "/metrics"
)

type api struct {
	pub  Publisher
	opts Options // but its Access: see access
	log  *slog.Logger

	// access is in force for the requests that start now.
	access atomic.Pointer[access]
	// accessMu serialises SetAccess.
	accessMu sync.Mutex
	// seen remembers used signatures whatever the access, so that no
	// change to it lets a signed request be replayed.
	seen *replayCache
	// outage logs the Publisher's failures.
	outage outage.Log
	// refusals logs refused requests, within a rate.
	refusals *refusalLog
}

// access is Access made ready to check requests with.
type access struct {
	Access
	auth    *authenticator
	limiter *peerLimiter // nil: no rate limit
}

// Handler is the API's http.Handler.
type Handler struct {
	http.Handler
	a *api
}

// New returns the API's handler.
func New(pub Publisher, opts Options, log *slog.Logger) *Handler {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 5 * time.Second
	}
	a := &api{pub: pub, opts: opts, log: log, seen: newReplayCache(replayCacheSize), refusals: newRefusalLog()}
	a.opts.Access = Access{}
	a.setAccess(opts.Access)
	r := gin.New()
	r.HandleMethodNotAllowed = false
	r.Use(a.recover, a.limits)
	r.GET(PathHealth, func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	r.GET(PathReady, a.ready)
	r.GET(PathMetrics, a.allow, gin.WrapH(opts.Metrics.Handler()))
	r.NoRoute(a.allow, a.rateLimit, a.serve)
	return &Handler{Handler: r, a: a}
}

// SetAccess replaces the access settings for the requests that start from
// now on; those under way finish with the old ones. Used signatures stay
// refused, and each peer's rate keeps its count while the rate settings
// stay the same.
func (h *Handler) SetAccess(next Access) { h.a.setAccess(next) }

func (a *api) setAccess(next Access) {
	a.accessMu.Lock()
	defer a.accessMu.Unlock()
	next.Allow = slices.Clone(next.Allow)
	acc := &access{Access: next, auth: newAuthenticator(next, a.seen)}
	cur := a.access.Load()
	switch {
	case next.RateLimit <= 0:
	case cur != nil && cur.RateLimit == next.RateLimit && cur.RateBurst == next.RateBurst:
		acc.limiter = cur.limiter
	default:
		acc.limiter = newPeerLimiter(next.RateLimit, next.RateBurst)
	}
	a.access.Store(acc)
}

// recover answers fail instead of dropping the connection on a panic.
func (a *api) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			a.log.Error("api: panic serving request", "path", c.Request.URL.Path, "panic", v)
			a.fail(c, http.StatusInternalServerError, metrics.ResultFail)
			c.Abort()
		}
	}()
	c.Next()
}

// limits refuses URLs and bodies over the configured sizes.
func (a *api) limits(c *gin.Context) {
	if a.opts.MaxURL > 0 && len(c.Request.RequestURI) > a.opts.MaxURL {
		a.fail(c, http.StatusRequestEntityTooLarge, metrics.ResultFail)
		c.Abort()
		return
	}
	if a.opts.MaxBody > 0 {
		if c.Request.ContentLength > a.opts.MaxBody {
			a.tooLarge(c)
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
		a.fail(c, http.StatusMethodNotAllowed, metrics.ResultFail)
		return
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodPost {
		c.Header("Allow", "GET, POST")
		a.fail(c, http.StatusMethodNotAllowed, metrics.ResultFail)
		return
	}
	p, batch, err := readParams(c.Request)
	if err != nil {
		a.refuse(c, err)
		return
	}
	auth := a.access.Load().auth
	if err := auth.check(c.Request, p); err != nil {
		a.unauthorized(c, err)
		return
	}
	// A publish, once begun, is not cut short when the caller hangs up
	// (other instances first, then this one's sockets): only CallTimeout
	// bounds it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), a.opts.CallTimeout)
	defer cancel()
	if batch != nil {
		a.batch(ctx, c, auth, p, batch)
		return
	}
	kind, _, _ := p.scalar("type")
	serveType, ok := types[kind]
	if !ok {
		a.fail(c, http.StatusOK, metrics.ResultFail)
		return
	}
	serveType(a, ctx, c, p)
}

// refuse answers a request whose body could not be read.
func (a *api) refuse(c *gin.Context, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		a.tooLarge(c)
	case errors.Is(err, errBadBody):
		a.log.Debug("api: refused request", "err", err)
		a.fail(c, http.StatusBadRequest, metrics.ResultFail)
	default:
		a.log.Debug("api: reading request failed", "err", err)
		a.fail(c, http.StatusBadRequest, metrics.ResultFail)
	}
}

// publisherName names the Publisher in the outage lines.
const publisherName = "api: publisher"

// unavailable answers a request the Publisher could not serve; an outage
// is logged once, not on every request (internal/outage).
func (a *api) unavailable(c *gin.Context, what string, err error) {
	a.outage.Failure(a.log, publisherName, err, time.Now(), "call", what, "answer", "503 fail")
	a.fail(c, http.StatusServiceUnavailable, metrics.ResultFail)
}

// refused logs a refused request (refusals.go).
func (a *api) refused(c *gin.Context, reason string) {
	a.refusals.refused(a.log, time.Now(), c.Request.RemoteAddr, reason)
}

// served records a Publisher call that worked.
func (a *api) served() { a.outage.Success(a.log, publisherName, time.Now()) }

// reserved reports whether path is one pushio serves itself (probes and
// metrics), with or without a trailing slash.
func reserved(path string) bool {
	path = strings.TrimSuffix(path, "/")
	return path == PathHealth || path == PathReady || path == PathMetrics
}

// fail answers fail with status and counts it as result (ResultFail,
// ResultUnauthorized or ResultLimited): every fail answer goes through
// here, so none is missing from pushio_publishes_total.
func (a *api) fail(c *gin.Context, status int, result string) {
	a.opts.Metrics.Published(result)
	reply(c, status, answerFail)
}

// contentTypes is the answers' Content-Type, shared by every answer.
var contentTypes = []string{contentType}

// reply answers body as text; the header is set without a copy or a
// canonicalisation, as every answer has the same.
func reply(c *gin.Context, status int, body string) {
	c.Writer.Header()["Content-Type"] = contentTypes
	c.Status(status)
	_, _ = c.Writer.WriteString(body)
}

func wantsJSON(c *gin.Context) bool {
	return strings.Contains(c.GetHeader("Accept"), "application/json")
}
