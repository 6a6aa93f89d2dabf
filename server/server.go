// Package server is the Socket.IO side of pushio: on pushio's own engine
// (packages engine and socketio) it accepts browsers (Engine.IO 3 and 4,
// polling and websocket), handles login, keeps the uid ↔ socket
// bookkeeping in an adapter.Presence and the uid and group rooms in a hub,
// broadcasts update_online_count, delivers new_msg, and serves the demo
// page. A page joins its uid's groups and its token's at login, and
// groups.go's joins and leaves reach the pages on every instance.
//
// It knows nothing of the publish API's parameter shapes: pushapi calls
// Send (push.go), Reach, Clients, Counts and the group methods.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/hub"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/outage"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/push"
	"github.com/pushio/pushio/socketio"
)

// Event names the original's clients listen for and emit.
const (
	EventLogin       = "login"
	EventNewMsg      = push.DefaultEvent
	EventOnlineCount = "update_online_count"
)

// Options configure a Server. Zero durations take the Socket.IO defaults.
// The settings of config keys are package settings' structs, held whole
// (internal/config's sections hold the same ones).
type Options struct {
	// SocketIO is where Socket.IO is served, to which origins, and
	// whether the demo page is (io.path, io.cors_origins, io.demo).
	settings.SocketIO
	// Connection bounds every Engine.IO session: heartbeat, largest
	// message, what may wait to be written (io.ping_*, io.max_payload,
	// io.max_queue*).
	settings.Connection
	// Limits bound the sessions admitted (io.max_connections…).
	Limits settings.Limits
	// TrustedProxies are the peers whose X-Forwarded-For is believed when
	// telling the client address for Limits.
	TrustedProxies []netip.Prefix
	// ConnectTimeout closes a client that opened Engine.IO but joined no
	// namespace within it; zero is Socket.IO's default, 45s.
	ConnectTimeout time.Duration
	// Counts is the update_online_count broadcast; a zero interval is 1s.
	Counts settings.Counts
	// CallTimeout bounds each Presence call made on behalf of a client.
	CallTimeout time.Duration
	// BodyTimeout bounds the time a request's body may take to arrive
	// (payload.go); zero is no bound.
	BodyTimeout time.Duration
	// DemoAPIPort is the publish API's port, which the demo page calls.
	DemoAPIPort string
	// Wires are where the demo page finds the plain WebSocket and
	// EventSource pages (io.ws_path, io.sse_path; empty: that wire is
	// off); package plain serves them.
	Wires settings.Wires
	// DemoAPIAuth is what the demo page is told of the API's access;
	// SetDemoAPIAuth changes it later.
	DemoAPIAuth APIAuth
	// Fanout connects this instance's rooms to the other instances'; nil
	// is this node only.
	Fanout func(local adapter.Local) (adapter.Fanout, error)
	// Namespaces a client may join besides "/" (they get no events of
	// pushio's; the protocol suites' reference application uses one).
	Namespaces []string
	// Metrics records connections, deliveries, fan-out time, refusals and
	// drops; nil is none.
	Metrics *metrics.Metrics
	// AuthSecret, when set, makes login require a token signed with it
	// (auth.go); SetAuthSecret changes it later.
	AuthSecret string
	// Recovery is connection state recovery (recovery.go); off by default.
	Recovery RecoveryOptions
	// Groups bound the groups of one uid by membership of the uid, and
	// those of one page's login token; a zero MaxPerUID is
	// DefaultMaxGroupsPerUID.
	Groups settings.Groups
	// OnEvent, when set, gets the events other than login (tests).
	OnEvent func(s *socketio.Socket, event string, args []any, ack socketio.Ack)
	// OnConnect, when set, is told of each socket that joined (tests).
	OnConnect func(s *socketio.Socket)
}

// rooms is this instance's hub of sockets.
type rooms = hub.Hub[*engine.Message]

// Server is one instance's Socket.IO endpoint.
type Server struct {
	opts     Options
	log      *slog.Logger
	sio      *socketio.Server
	hub      *rooms
	fanout   adapter.Fanout // nil on a single node
	rec      *numbering
	handler  http.Handler
	presence adapter.Presence
	auth     loginAuth
	joining  joining // logins reading their uid's groups
	demoAuth atomic.Pointer[APIAuth]
	gate     *gate
	mux      *http.ServeMux

	pagesMu sync.Mutex
	pages   map[Page]*Conn // the other wires' pages (page.go)

	landings   landings   // logins taking held messages (held.go)
	refusals   refusals   // pushes with a ttl being handed out, for pages that refuse them (refused.go)
	departures departures // uids whose pages here are leaving or just left (refused.go)
	pushIDs    *pushIDs

	lastCounts atomic.Pointer[adapter.Counts] // the latest read
	// present counts the pages logged in here whose logout has not yet
	// removed them from presence: Drain waits for it to reach zero.
	present      atomic.Int64
	countsSent   countsSent // the latest broadcast (countsLoop's)
	countsOutage outage.Log
	outages      pageOutages
	stop         context.CancelFunc
	done         chan struct{}
	closeOnce    sync.Once
}

// New builds the Socket.IO server and starts the counts ticker; Close
// stops both.
func New(opts Options, presence adapter.Presence, log *slog.Logger) (*Server, error) {
	if opts.Counts.Interval <= 0 {
		opts.Counts.Interval = time.Second
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 2 * time.Second
	}
	if opts.Groups.MaxPerUID <= 0 {
		opts.Groups.MaxPerUID = DefaultMaxGroupsPerUID
	}
	s := &Server{opts: opts, log: log, presence: presence, hub: hub.New[*engine.Message](),
		pages: make(map[Page]*Conn), pushIDs: newPushIDs(), done: make(chan struct{})}
	s.rec = newNumbering(opts.Recovery, opts.CallTimeout)
	s.auth.set(opts.AuthSecret)
	s.SetDemoAPIAuth(opts.DemoAPIAuth)
	s.gate = newGate(opts.Limits, opts.Metrics, log)
	s.lastCounts.Store(&adapter.Counts{})
	sio, err := socketio.New(socketio.Options{
		Engine: engine.Options{
			PingInterval:  opts.PingInterval,
			PingTimeout:   opts.PingTimeout,
			MaxPayload:    opts.MaxPayload,
			MaxQueue:      opts.MaxQueue,
			MaxQueueBytes: opts.MaxQueueBytes,
			OnUpgrade:     s.upgraded,
		},
		ConnectTimeout: opts.ConnectTimeout,
		Namespaces:     opts.Namespaces,
	}, (*handler)(s))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.sio = sio
	if opts.Fanout != nil {
		if s.fanout, err = opts.Fanout(local{s}); err != nil {
			sio.Close()
			return nil, fmt.Errorf("server: starting the fan-out: %w", err)
		}
	}
	s.handler = bodyDeadline(s.routes(sio), opts.BodyTimeout)
	s.instrument()
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go s.countsLoop(ctx)
	return s, nil
}

// SetAuthSecret changes the login secret for the logins that follow; an
// empty secret turns signed logins off. Sockets logged in stay.
func (s *Server) SetAuthSecret(secret string) { s.auth.set(secret) }

// SetDemoAPIAuth changes what /demo.json says of the API's access, for
// the pages that load it from now on.
func (s *Server) SetDemoAPIAuth(a APIAuth) { s.demoAuth.Store(&a) }

// Handler serves Socket.IO at Options.Path and the demo page at /.
func (s *Server) Handler() http.Handler { return s.handler }

// Listener wraps the listener Handler is served on (plain TCP, not TLS):
// a long poll waiting for data then holds only its connection, no
// goroutine and no buffers (engine.Server.Listener).
func (s *Server) Listener(ln net.Listener) net.Listener { return s.sio.Engine().Listener(ln) }

// Counts returns the cluster-wide number of logged-in uids and sockets.
func (s *Server) Counts(ctx context.Context) (adapter.Counts, error) {
	c, err := s.presence.Counts(ctx)
	if err != nil {
		return c, fmt.Errorf("server: counting presence: %w", err)
	}
	return c, nil
}

// Close stops the counts ticker and the fan-out, disconnects every client
// and removes their presence. It returns when done or when ctx ends. The
// other wires' pages are closed (Page.Close) too; their wire is closed
// after.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.stop()
		if s.fanout != nil {
			_ = s.fanout.Close()
		}
		for _, c := range s.attached() {
			c.u.page.Close()
		}
		closed := make(chan struct{})
		go func() {
			s.sio.Close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-ctx.Done():
		}
		s.rec.close(ctx)
		<-s.done
	})
	return ctx.Err()
}
