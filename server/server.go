// Package server is the Socket.IO side of pushio: it accepts browsers
// (Engine.IO 3 and 4, polling and websocket), handles login, keeps the
// uid ↔ socket bookkeeping in an adapter.Presence, broadcasts
// update_online_count, delivers new_msg, and serves the demo page.
//
// It knows nothing of the publish API's parameter shapes: pushapi calls
// Publish, Online and Counts.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/outage"
	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// Event names the original's clients listen for and emit.
const (
	EventLogin       = "login"
	EventNewMsg      = "new_msg"
	EventOnlineCount = "update_online_count"
)

// defaultConnectTimeout is Socket.IO's: a page on a slow link still has
// time to send its CONNECT after the Engine.IO handshake.
const defaultConnectTimeout = 45 * time.Second

// Options configure a Server. Zero durations take the Socket.IO defaults.
type Options struct {
	Path         string
	CORSOrigins  []string
	PingInterval time.Duration
	PingTimeout  time.Duration
	MaxPayload   int64
	// ConnectTimeout closes a client that opened Engine.IO but joined no
	// namespace within it; zero is Socket.IO's default, 45s.
	ConnectTimeout time.Duration
	CountsInterval time.Duration
	// CallTimeout bounds each Presence call made on behalf of a client.
	CallTimeout time.Duration
	// BodyTimeout bounds the time a request's body may take to arrive
	// (payload.go); zero is no bound.
	BodyTimeout time.Duration
	// Demo serves the embedded demo page at /.
	Demo bool
	// DemoAPIPort is the publish API's port, which the demo page calls.
	DemoAPIPort string
	// Adapter fans packets out to other instances; nil is this node only.
	Adapter socket.AdapterConstructor
	// Metrics records connections, deliveries, fan-out time, refusals and
	// drops; nil is none.
	Metrics *metrics.Metrics
	// AuthSecret, when set, makes login require a token signed with it
	// (auth.go); SetAuthSecret changes it later.
	AuthSecret string
	// Limits bound connections and what waits for each client.
	Limits Limits
}

// Server is one instance's Socket.IO endpoint.
type Server struct {
	opts     Options
	log      *slog.Logger
	io       *socket.Server
	handler  http.Handler
	presence adapter.Presence
	auth     loginAuth
	gate     *gate

	// uids maps a logged-in socket to its uid; removal through
	// LoadAndDelete makes a doubled disconnect count once.
	uids sync.Map // socket.SocketId → string
	// nspGates holds each session's namespace gate (connectrace.go).
	nspGates sync.Map // engine session id → *nspGate

	lastCounts   atomic.Pointer[adapter.Counts]
	countsOutage outage.Log
	stop         context.CancelFunc
	done         chan struct{}
	closeOnce    sync.Once
}

// New builds the Socket.IO server and starts the counts ticker; Close
// stops both.
func New(opts Options, presence adapter.Presence, log *slog.Logger) *Server {
	if opts.CountsInterval <= 0 {
		opts.CountsInterval = time.Second
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 2 * time.Second
	}
	s := &Server{opts: opts, log: log, presence: presence, done: make(chan struct{})}
	s.auth.set(opts.AuthSecret)
	s.gate = newGate(opts.Limits, opts.Metrics, log)
	s.lastCounts.Store(&adapter.Counts{})

	sopts := socketOptions(opts)
	s.io = socket.NewServer(nil, sopts)
	s.io.On("connection", func(args ...any) {
		if sock, ok := args[0].(*socket.Socket); ok {
			s.onConnection(sock)
		}
	})
	eio := s.io.ServeHandler(sopts) // creates s.io.Engine()
	s.handler = bodyDeadline(s.routes(checkPollingPosts(s.io.Engine(), eio, log)), opts.BodyTimeout)
	s.instrument()
	_ = s.io.Engine().On("connection", func(args ...any) {
		if es, ok := args[0].(engine.Socket); ok {
			s.onEngineConnection(es)
		}
	})

	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go s.countsLoop(ctx)
	return s
}

// socketOptions maps Options onto the library's. The same value is given to
// NewServer and ServeHandler: the library reads some options (the connect
// timeout among them) only from the first.
func socketOptions(opts Options) *socket.ServerOptions {
	o := socket.DefaultServerOptions()
	o.SetPath(opts.Path)
	o.SetServeClient(false)
	o.SetAllowEIO3(true)
	o.SetConnectTimeout(defaultConnectTimeout)
	if opts.ConnectTimeout > 0 {
		o.SetConnectTimeout(opts.ConnectTimeout)
	}
	if opts.PingInterval > 0 {
		o.SetPingInterval(opts.PingInterval)
	}
	if opts.PingTimeout > 0 {
		o.SetPingTimeout(opts.PingTimeout)
	}
	if opts.MaxPayload > 0 {
		o.SetMaxHttpBufferSize(opts.MaxPayload)
	}
	o.SetCors(corsOptions(opts.CORSOrigins))
	o.SetParser(asciiParser{parser.NewParser()})
	if opts.Adapter != nil {
		o.SetAdapter(opts.Adapter)
	}
	return o
}

// corsOptions echoes an allowed Origin with credentials, as the original
// does for every origin when the list holds "*".
func corsOptions(origins []string) *types.Cors {
	c := &types.Cors{Credentials: true, Methods: []string{"GET", "POST"}}
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	if allowed["*"] || len(origins) == 0 {
		c.Origin = true
		return c
	}
	list := make([]string, 0, len(origins))
	for o := range allowed {
		list = append(list, o)
	}
	c.Origin = list
	return c
}

// SetAuthSecret changes the login secret for the logins that follow; an
// empty secret turns signed logins off. Sockets logged in stay.
func (s *Server) SetAuthSecret(secret string) { s.auth.set(secret) }

// Handler serves Socket.IO at Options.Path and the demo page at /.
func (s *Server) Handler() http.Handler { return s.handler }

// Publish emits new_msg with content to the sockets of the uids in to, or
// to every socket when to is empty, and reports for each uid whether it was
// online anywhere in the cluster. The message is emitted even to a uid
// that is offline, as the original does.
func (s *Server) Publish(ctx context.Context, to []string, content string) ([]bool, error) {
	if len(to) == 0 {
		if err := s.fanout(ctx, nil, content); err != nil {
			return nil, fmt.Errorf("server: broadcasting new_msg: %w", err)
		}
		return nil, nil
	}
	online, err := s.Online(ctx, to)
	if err != nil {
		return nil, err
	}
	rooms := make([]socket.Room, len(to))
	for i, uid := range to {
		rooms[i] = socket.Room(uid)
	}
	if err := s.fanout(ctx, rooms, content); err != nil {
		return nil, fmt.Errorf("server: emitting new_msg to %d uids: %w", len(to), err)
	}
	return online, nil
}

// emit sends new_msg to the sockets in rooms, or to every socket when rooms
// is empty. A fan-out adapter that can fail (adapter.Broadcaster) reports
// whether the other instances were reached, within ctx.
func (s *Server) emit(ctx context.Context, rooms []socket.Room, content string) error {
	nsp := s.io.Sockets()
	b, ok := nsp.Adapter().(adapter.Broadcaster)
	if !ok {
		return nsp.To(rooms...).Emit(EventNewMsg, content)
	}
	packet := &parser.Packet{Type: parser.EVENT, Data: []any{EventNewMsg, content}}
	return b.BroadcastContext(ctx, packet, &socket.BroadcastOptions{
		Rooms:  types.NewSet(rooms...),
		Except: types.NewSet[socket.Room](),
		Flags:  &socket.BroadcastFlags{},
	})
}

// Online reports for each uid whether it has a logged-in socket anywhere.
func (s *Server) Online(ctx context.Context, uids []string) ([]bool, error) {
	online, err := s.presence.Online(ctx, uids)
	if err != nil {
		return nil, fmt.Errorf("server: looking up presence: %w", err)
	}
	return online, nil
}

// Counts returns the cluster-wide number of logged-in uids and sockets.
func (s *Server) Counts(ctx context.Context) (adapter.Counts, error) {
	c, err := s.presence.Counts(ctx)
	if err != nil {
		return c, fmt.Errorf("server: counting presence: %w", err)
	}
	return c, nil
}

// Close stops the counts ticker, disconnects every client and removes
// their presence. It returns when done or when ctx ends.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.stop()
		closed := make(chan struct{})
		s.io.Close(func(error) { close(closed) })
		select {
		case <-closed:
		case <-ctx.Done():
		}
		<-s.done
	})
	return ctx.Err()
}
