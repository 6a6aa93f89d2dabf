package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/adapter"
)

var _ adapter.Fanout = (*Fanout)(nil)

// DefaultRequestsTimeout is how long a cluster-wide request (fetchSockets)
// waits for the other servers, as the Node adapter's requestsTimeout.
const DefaultRequestsTimeout = 5 * time.Second

// FanoutOptions configure a Fanout.
type FanoutOptions struct {
	// Prefix starts every channel (redis.prefix; Node's key option).
	Prefix string
	// UID names this server in its messages, so it skips its own.
	UID string
	// Timeout bounds each publish and the subscription; zero is
	// DefaultTimeout.
	Timeout time.Duration
	// RequestsTimeout bounds the wait for other servers' answers;
	// zero is DefaultRequestsTimeout.
	RequestsTimeout time.Duration
	// Presence, when set and on the same client, lets a targeted
	// broadcast read the uids' presence in its round trip
	// (adapter.OnlineFanout).
	Presence *Presence
	Log      *slog.Logger
}

// Fanout connects this instance's namespace "/" to the other servers on
// Redis, pushio or Node, in the @socket.io/redis-adapter format: it
// publishes this instance's broadcasts once, hands the others' to its
// Local, and answers their requests.
type Fanout struct {
	c     goredis.UniversalClient
	opts  FanoutOptions
	local adapter.Local
	log   *slog.Logger

	channel, requestChannel, responseChannel string
	// own starts this server's broadcasts as encoded: skipped unread.
	own []byte

	ps        *goredis.PubSub
	done      chan struct{}
	closeOnce sync.Once
	pending   sync.Map // request id → *waiter
}

// fanoutNsp is the namespace pushio serves and fans out.
const fanoutNsp = "/"

// NewFanout subscribes to the broadcast and request channels and starts
// handing what comes to local; it fails when Redis does not confirm the
// subscriptions within opts.Timeout.
func NewFanout(c goredis.UniversalClient, opts FanoutOptions, local adapter.Local) (*Fanout, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.RequestsTimeout <= 0 {
		opts.RequestsTimeout = DefaultRequestsTimeout
	}
	p := opts.Prefix
	f := &Fanout{c: c, opts: opts, local: local, log: opts.Log.With("nsp", fanoutNsp), done: make(chan struct{}),
		channel:         p + "#" + fanoutNsp + "#",
		requestChannel:  p + "-request#" + fanoutNsp + "#",
		responseChannel: p + "-response#" + fanoutNsp + "#",
	}
	// A broadcast is the array [uid, packet, opts]: its header, then uid.
	uid, err := encodeMsgpack(opts.UID)
	if err != nil {
		return nil, fmt.Errorf("redis fan-out: encoding the server uid: %w", err)
	}
	f.own = append([]byte{0x93}, uid...)
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	f.ps = c.PSubscribe(ctx, f.channel+"*")
	if err := f.ps.Subscribe(ctx, f.requestChannel, f.responseChannel, f.responseChannel+opts.UID+"#"); err != nil {
		_ = f.ps.Close()
		return nil, fmt.Errorf("redis fan-out: subscribing: %w", err)
	}
	// Four confirmations: the pattern and the three channels.
	for range 4 {
		if _, err := f.ps.ReceiveTimeout(ctx, opts.Timeout); err != nil {
			_ = f.ps.Close()
			return nil, fmt.Errorf("redis fan-out: subscribing: %w (is Redis up?)", err)
		}
	}
	go f.receive()
	return f, nil
}

// receive handles what Redis delivers until Close.
func (f *Fanout) receive() {
	defer close(f.done)
	for m := range f.ps.ChannelWithSubscriptions(goredis.WithChannelSize(1024)) {
		switch m := m.(type) {
		case *goredis.Message:
			if m.Pattern != "" {
				f.onBroadcast(m.Channel, []byte(m.Payload))
			} else {
				f.onRequest(m.Channel, []byte(m.Payload))
			}
		case *goredis.Subscription:
			if m.Kind == "psubscribe" {
				f.log.Info("redis fan-out subscribed", "channel", m.Channel)
			}
		}
	}
}

// onBroadcast delivers another server's broadcast to this server's sockets.
func (f *Fanout) onBroadcast(channel string, payload []byte) {
	room, ok := strings.CutPrefix(channel, f.channel)
	if !ok {
		return
	}
	if room != "" && !f.local.Has(strings.TrimSuffix(room, "#")) {
		return // no socket here is in the room: skip the decoding
	}
	if bytes.HasPrefix(payload, f.own) {
		return // this server delivered its own broadcast already
	}
	var m wireMessage
	if err := decodeMsgpack(payload, &m); err != nil {
		f.log.Debug("redis fan-out: ignoring a malformed broadcast", "channel", channel, "err", err)
		return
	}
	if m.UID == f.opts.UID || m.Packet == nil {
		return // this server delivered its own broadcast already
	}
	p := m.Packet.packet()
	if p.Nsp != fanoutNsp {
		return
	}
	f.local.Deliver(p, m.Opts.selector())
}

// Broadcast implements adapter.Fanout: it publishes p for the other
// servers; an error means none was reached.
func (f *Fanout) Broadcast(ctx context.Context, p adapter.Packet, sel adapter.Selector) error {
	msg, err := f.encodeBroadcast(p, sel)
	if err != nil {
		return err
	}
	return f.publish(ctx, f.broadcastChannel(sel), msg)
}

// BroadcastOnline implements adapter.OnlineFanout: the presence lookup and
// the publish go in one pipeline. Without FanoutOptions.Presence it looks
// nothing up and says no uid is online; pushio always sets it.
func (f *Fanout) BroadcastOnline(ctx context.Context, p adapter.Packet, uids []string) ([]bool, error) {
	sel := adapter.Selector{Rooms: uids}
	msg, err := f.encodeBroadcast(p, sel)
	if err != nil {
		return nil, err
	}
	pr := f.opts.Presence
	if pr == nil {
		return make([]bool, len(uids)), f.publish(ctx, f.broadcastChannel(sel), msg)
	}
	var lookup *goredis.SliceCmd
	channel := f.broadcastChannel(sel)
	_, err = f.c.Pipelined(ctx, func(pipe goredis.Pipeliner) error {
		lookup = pr.onlineCmd(ctx, pipe, uids)
		pipe.Publish(ctx, channel, msg)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis fan-out: publishing on %s with the presence of %d uids: %w", channel, len(uids), err)
	}
	return onlineOf(lookup.Val(), len(uids)), nil
}

func (f *Fanout) encodeBroadcast(p adapter.Packet, sel adapter.Selector) ([]byte, error) {
	p.Nsp = fanoutNsp
	msg, err := encodeMsgpack(&wireMessage{UID: f.opts.UID, Packet: toWirePacket(p), Opts: toWireOpts(sel)})
	if err != nil {
		return nil, fmt.Errorf("redis fan-out: encoding a broadcast: %w", err)
	}
	return msg, nil
}

// broadcastChannel is where a broadcast is published: the room's own
// channel when it targets exactly one room, so that servers without a
// socket in it skip it unread.
func (f *Fanout) broadcastChannel(sel adapter.Selector) string {
	if len(sel.Rooms) == 1 {
		return f.channel + sel.Rooms[0] + "#"
	}
	return f.channel
}

func (f *Fanout) publish(ctx context.Context, channel string, msg []byte) error {
	if err := f.c.Publish(ctx, channel, msg).Err(); err != nil {
		return fmt.Errorf("redis fan-out: publishing on %s: %w", channel, err)
	}
	return nil
}

// send publishes within the configured timeout, for answers nobody waits
// on: a failure is logged.
func (f *Fanout) send(channel string, msg []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), f.opts.Timeout)
	defer cancel()
	err := f.publish(ctx, channel, msg)
	if err != nil {
		f.log.Warn("cluster answer not sent", "err", err)
	}
	return err
}

// ServerCount is the number of servers subscribed to the namespace's
// request channel, pushio and Node alike.
func (f *Fanout) ServerCount(ctx context.Context) (int64, error) {
	n, err := f.c.PubSubNumSub(ctx, f.requestChannel).Result()
	if err != nil {
		return 0, fmt.Errorf("redis fan-out: counting servers: %w", err)
	}
	return n[f.requestChannel], nil
}

// Close implements adapter.Fanout: it unsubscribes and stops receiving.
func (f *Fanout) Close() error {
	f.closeOnce.Do(func() {
		_ = f.ps.Close()
		<-f.done
	})
	return nil
}

// errTimeout is a cluster-wide request that not every server answered.
var errTimeout = errors.New("redis fan-out: timeout reached while waiting for the other servers")
