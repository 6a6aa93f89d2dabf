package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/pushio/pushio/adapter"
)

var (
	_ socket.AdapterConstructor = (*Fanout)(nil)
	_ adapter.Broadcaster       = (*nsAdapter)(nil)
)

// DefaultRequestsTimeout is how long a cluster-wide request (fetchSockets,
// serverSideEmit with an acknowledgement, a broadcast's acknowledgements)
// waits for the other servers, as the Node adapter's requestsTimeout.
const DefaultRequestsTimeout = 5 * time.Second

// FanoutOptions configure a Fanout.
type FanoutOptions struct {
	// Prefix starts every channel (redis.prefix; Node's key option).
	Prefix string
	// UID names this server in its messages, so it skips its own.
	UID string
	// Timeout bounds each publish; zero is DefaultTimeout.
	Timeout time.Duration
	// RequestsTimeout bounds the wait for other servers' answers;
	// zero is DefaultRequestsTimeout.
	RequestsTimeout time.Duration
	Log             *slog.Logger
}

// Fanout is the Socket.IO library's AdapterConstructor for a cluster on
// Redis: each namespace gets an adapter that delivers to its own sockets
// directly and publishes every non-local broadcast once, in the
// @socket.io/redis-adapter format, for the other servers (pushio or Node)
// to deliver to theirs.
type Fanout struct {
	c    goredis.UniversalClient
	opts FanoutOptions
}

// NewFanout returns the constructor to give to the Socket.IO server.
func NewFanout(c goredis.UniversalClient, opts FanoutOptions) *Fanout {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.RequestsTimeout <= 0 {
		opts.RequestsTimeout = DefaultRequestsTimeout
	}
	return &Fanout{c: c, opts: opts}
}

// New implements socket.AdapterConstructor.
func (f *Fanout) New(nsp socket.Namespace) socket.Adapter {
	a := &nsAdapter{Adapter: socket.MakeAdapter(), f: f, done: make(chan struct{})}
	a.Prototype(a)
	a.Construct(nsp)
	return a
}

// nsAdapter is one namespace's adapter. The embedded in-memory adapter
// keeps the rooms and writes to this server's sockets; nsAdapter adds the
// Redis side.
type nsAdapter struct {
	socket.Adapter

	f                                        *Fanout
	channel, requestChannel, responseChannel string
	ps                                       *goredis.PubSub
	done                                     chan struct{}
	closeOnce                                sync.Once
	pending                                  sync.Map // request id → *waiter
	log                                      *slog.Logger
}

// Construct implements socket.Adapter: it subscribes to the namespace's
// broadcast pattern and request channels and starts receiving.
func (a *nsAdapter) Construct(nsp socket.Namespace) {
	a.Adapter.Construct(nsp)
	prefix, name := a.f.opts.Prefix, nsp.Name()
	a.channel = prefix + "#" + name + "#"
	a.requestChannel = prefix + "-request#" + name + "#"
	a.responseChannel = prefix + "-response#" + name + "#"
	a.log = a.f.opts.Log.With("nsp", name)

	ctx, cancel := context.WithTimeout(context.Background(), a.f.opts.Timeout)
	defer cancel()
	// Errors are not final: go-redis subscribes again on reconnection.
	a.ps = a.f.c.PSubscribe(ctx, a.channel+"*")
	_ = a.ps.Subscribe(ctx, a.requestChannel, a.responseChannel, a.responseChannel+a.f.opts.UID+"#")
	go a.receive()
}

// receive handles what Redis delivers until Close.
func (a *nsAdapter) receive() {
	defer close(a.done)
	for m := range a.ps.ChannelWithSubscriptions(goredis.WithChannelSize(1024)) {
		switch m := m.(type) {
		case *goredis.Message:
			if m.Pattern != "" {
				a.onBroadcast(m.Channel, []byte(m.Payload))
			} else {
				a.onRequest(m.Channel, []byte(m.Payload))
			}
		case *goredis.Subscription:
			if m.Kind == "psubscribe" {
				a.log.Info("redis fan-out subscribed", "channel", m.Channel)
			}
		}
	}
}

// onBroadcast delivers another server's broadcast to this server's sockets.
func (a *nsAdapter) onBroadcast(channel string, payload []byte) {
	room, ok := strings.CutPrefix(channel, a.channel)
	if !ok {
		return
	}
	if room != "" {
		room = room[:len(room)-1] // the trailing #
		if _, ok := a.Rooms().Load(socket.Room(room)); !ok {
			return // no socket here is in the room: skip the decoding
		}
	}
	var m wireMessage
	if err := decodeMsgpack(payload, &m); err != nil {
		a.log.Debug("redis fan-out: ignoring a malformed broadcast", "channel", channel, "err", err)
		return
	}
	if m.UID == a.f.opts.UID || m.Packet == nil {
		return // this server delivered its own broadcast already
	}
	p := m.Packet.packet()
	if p.Nsp != a.Nsp().Name() {
		return
	}
	a.Adapter.Broadcast(p, m.Opts.options())
}

// BroadcastContext implements adapter.Broadcaster: it publishes the packet
// for the other servers, then delivers it to this server's sockets. When
// the publish fails nothing is delivered and the error says why. A local
// broadcast (the Local flag) is not published.
func (a *nsAdapter) BroadcastContext(ctx context.Context, packet *parser.Packet, opts *socket.BroadcastOptions) error {
	packet.Nsp = a.Nsp().Name()
	if !isLocal(opts) {
		msg, err := encodeMsgpack(&wireMessage{UID: a.f.opts.UID, Packet: toWirePacket(packet), Opts: toWireOpts(opts)})
		if err != nil {
			return fmt.Errorf("redis fan-out: encoding a broadcast: %w", err)
		}
		if err := a.publish(ctx, a.broadcastChannel(opts), msg); err != nil {
			return err
		}
	}
	a.Adapter.Broadcast(packet, opts)
	return nil
}

// Broadcast implements socket.Adapter. When Redis fails the packet still
// reaches this server's sockets, and the failure is logged.
func (a *nsAdapter) Broadcast(packet *parser.Packet, opts *socket.BroadcastOptions) {
	ctx, cancel := context.WithTimeout(context.Background(), a.f.opts.Timeout)
	defer cancel()
	if err := a.BroadcastContext(ctx, packet, opts); err != nil {
		a.log.Warn("broadcast reached this instance only", "err", err)
		a.Adapter.Broadcast(packet, opts)
	}
}

// broadcastChannel is where a broadcast is published: the room's own
// channel when it targets exactly one room, so that servers without a
// socket in it skip it unread.
func (a *nsAdapter) broadcastChannel(opts *socket.BroadcastOptions) string {
	if opts != nil && opts.Rooms != nil && opts.Rooms.Len() == 1 {
		return a.channel + string(opts.Rooms.Keys()[0]) + "#"
	}
	return a.channel
}

func (a *nsAdapter) publish(ctx context.Context, channel string, msg []byte) error {
	if err := a.f.c.Publish(ctx, channel, msg).Err(); err != nil {
		return fmt.Errorf("redis fan-out: publishing on %s: %w", channel, err)
	}
	return nil
}

// send publishes within the configured timeout, for the library's calls
// that cannot return an error: a failure is logged.
func (a *nsAdapter) send(channel string, msg []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), a.f.opts.Timeout)
	defer cancel()
	err := a.publish(ctx, channel, msg)
	if err != nil {
		a.log.Warn("cluster request not sent", "err", err)
	}
	return err
}

// ServerCount implements socket.Adapter: the servers subscribed to the
// namespace's request channel, pushio and Node alike. It is 1 when Redis
// cannot tell.
func (a *nsAdapter) ServerCount() int64 {
	ctx, cancel := context.WithTimeout(context.Background(), a.f.opts.Timeout)
	defer cancel()
	n, err := a.f.c.PubSubNumSub(ctx, a.requestChannel).Result()
	if err != nil || n[a.requestChannel] < 1 {
		return 1
	}
	return n[a.requestChannel]
}

// Close implements socket.Adapter: it unsubscribes and stops receiving.
func (a *nsAdapter) Close() {
	a.closeOnce.Do(func() {
		_ = a.ps.Close()
		<-a.done
	})
	a.Adapter.Close()
}

func isLocal(opts *socket.BroadcastOptions) bool {
	return opts != nil && opts.Flags != nil && opts.Flags.Local
}

// errTimeout is a cluster-wide request that not every server answered.
var errTimeout = errors.New("redis fan-out: timeout reached while waiting for the other servers")
