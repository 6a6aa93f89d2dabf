package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
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
	// Presence, when set and on the same client, lets Send read the
	// targets' presence in its round trip.
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

	// mu guards ps, the current subscription, and closed: a move of the
	// server (see follow) replaces ps while receive reads it.
	mu     sync.Mutex
	ps     *goredis.PubSub
	closed bool
	// moved asks follow to subscribe again: a new connection went to
	// another server address than the one before.
	moved     chan struct{}
	stop      chan struct{} // closed by Close: follow returns
	done      chan struct{} // closed when receive and follow have returned
	closeOnce sync.Once
	pending   sync.Map // request id → *waiter

	// sendMu guards the group commit of Send (send.go): sendBusy while a
	// pipeline is on its way, sendQueue the Sends waiting for the next.
	sendMu    sync.Mutex
	sendBusy  bool
	sendQueue []*sending
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
	f := &Fanout{c: c, opts: opts, local: local, log: opts.Log.With("nsp", fanoutNsp),
		moved: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
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
	if f.ps, err = f.subscribe(); err != nil {
		return nil, err
	}
	if _, cluster := c.(*goredis.ClusterClient); !cluster {
		moves(c, f.onMove)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); f.receive() }()
	go func() { defer wg.Done(); f.follow() }()
	go func() { wg.Wait(); close(f.done) }()
	return f, nil
}

// subscribe opens a subscription to the broadcast and request channels
// and waits, within opts.Timeout, until Redis has confirmed it.
func (f *Fanout) subscribe() (*goredis.PubSub, error) {
	ctx, cancel := context.WithTimeout(context.Background(), f.opts.Timeout)
	defer cancel()
	ps := f.c.PSubscribe(ctx, f.channel+"*")
	if err := ps.Subscribe(ctx, f.requestChannel, f.responseChannel, f.responseChannel+f.opts.UID+"#"); err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("redis fan-out: subscribing: %w", err)
	}
	// Four confirmations: the pattern and the three channels.
	for range 4 {
		if _, err := ps.ReceiveTimeout(ctx, f.opts.Timeout); err != nil {
			_ = ps.Close()
			return nil, fmt.Errorf("redis fan-out: subscribing: %w (is Redis up?)", err)
		}
	}
	return ps, nil
}

// onMove asks follow to subscribe again, without waiting.
func (f *Fanout) onMove() {
	select {
	case f.moved <- struct{}{}:
	default: // asked already
	}
}

// follow subscribes again each time the client's connections go to
// another server: after a Sentinel failover the client sends its commands
// to the new primary, but the subscription stays on the old one, which
// keeps its role (and misses every publish) until the sentinels demote
// it, seconds later. The new subscription is confirmed before the old one
// is closed; a failed one keeps the old, and the next move tries again.
func (f *Fanout) follow() {
	for {
		select {
		case <-f.stop:
			return
		case <-f.moved:
		}
		ps, err := f.subscribe()
		if err != nil {
			f.log.Warn("redis fan-out: subscribing on the new server", "err", err)
			continue
		}
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			_ = ps.Close()
			return
		}
		old := f.ps
		f.ps = ps
		f.mu.Unlock()
		_ = old.Close() // receive goes on with ps
		f.log.Info("redis fan-out: the server moved: subscribed again")
	}
}

// receive handles what Redis delivers until Close, on each subscription
// in turn.
func (f *Fanout) receive() {
	f.mu.Lock()
	ps := f.ps
	f.mu.Unlock()
	for {
		f.handle(ps)
		f.mu.Lock()
		next, closed := f.ps, f.closed
		f.mu.Unlock()
		if closed || next == ps {
			return
		}
		ps = next
	}
}

// handle handles what arrives on ps until it is closed.
func (f *Fanout) handle(ps *goredis.PubSub) {
	for m := range ps.ChannelWithSubscriptions(goredis.WithChannelSize(1024)) {
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
	p.ID, p.TTL, p.Read = m.Opts.id(), m.Opts.ttl(), m.Opts.read()
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

// ordered is the client Send's pipeline goes to. A Redis Cluster client
// sends each PUBLISH to a random node, and messages published on
// different nodes reach a subscriber in any order: there it is the master
// of the presence's slot (whose keys the lookups read), for all of them.
func (f *Fanout) ordered(ctx context.Context) (goredis.Cmdable, error) {
	cc, ok := f.c.(*goredis.ClusterClient)
	if !ok {
		return f.c, nil
	}
	key := f.channel
	if f.opts.Presence != nil {
		key = f.opts.Presence.keys.uids
	}
	node, err := cc.MasterForKey(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("redis fan-out: finding the cluster node of %s: %w", key, err)
	}
	return node, nil
}

func (f *Fanout) encodeBroadcast(p adapter.Packet, sel adapter.Selector) ([]byte, error) {
	p.Nsp = fanoutNsp
	opts := toWireOpts(sel)
	if p.ID != "" {
		opts.Flags[flagID] = p.ID
		if p.TTL > 0 {
			opts.Flags[flagTTL] = p.TTL.Milliseconds()
			if !p.Read.IsZero() {
				opts.Flags[flagRead] = p.Read.UnixMicro()
			}
		}
	}
	msg, err := encodeMsgpack(&wireMessage{UID: f.opts.UID, Packet: toWirePacket(p), Opts: opts})
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
// request channel, pushio and Node alike. A Redis Cluster node counts only
// the subscriptions made on it, so there the counts of every node, masters
// and replicas, are added up (as Node's adapter does).
func (f *Fanout) ServerCount(ctx context.Context) (int64, error) {
	cc, ok := f.c.(*goredis.ClusterClient)
	if !ok {
		n, err := f.c.PubSubNumSub(ctx, f.requestChannel).Result()
		if err != nil {
			return 0, fmt.Errorf("redis fan-out: counting servers: %w", err)
		}
		return n[f.requestChannel], nil
	}
	var total atomic.Int64
	err := cc.ForEachShard(ctx, func(ctx context.Context, node *goredis.Client) error {
		n, err := node.PubSubNumSub(ctx, f.requestChannel).Result()
		total.Add(n[f.requestChannel])
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("redis fan-out: counting servers on every cluster node: %w", err)
	}
	return total.Load(), nil
}

// Close implements adapter.Fanout: it unsubscribes and stops receiving.
func (f *Fanout) Close() error {
	f.closeOnce.Do(func() {
		close(f.stop)
		f.mu.Lock()
		f.closed = true
		ps := f.ps
		f.mu.Unlock()
		_ = ps.Close()
		<-f.done
	})
	return nil
}

// errTimeout is a cluster-wide request that not every server answered.
var errTimeout = errors.New("redis fan-out: timeout reached while waiting for the other servers")
