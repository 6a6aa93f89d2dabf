package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/push"
)

var _ adapter.Presence = (*Presence)(nil)

// Defaults for zero options, as config's redis.presence_ttl and
// redis.timeout.
const (
	DefaultTTL     = 15 * time.Second
	DefaultTimeout = 2 * time.Second
)

// syncChunk is how many pages one sync script call carries.
const syncChunk = 1000

// downRetry is how often an instance that lost Redis tries again.
const downRetry = 500 * time.Millisecond

// wakeGap is the least time between a heartbeat and one that a new
// connection to Redis asks for (see reconnects). An overloaded Redis makes
// go-redis drop and redial connections all the time: those must not turn
// into a re-registration more often than while Redis is away.
const wakeGap = downRetry

// PresenceOptions configure a Presence.
type PresenceOptions struct {
	// Prefix starts every key (redis.prefix).
	Prefix string
	// Instance names this instance; unique in the cluster.
	Instance string
	// TTL is how long the uids of an instance that stopped heartbeating
	// still count at most (redis.presence_ttl); zero is DefaultTTL.
	TTL time.Duration
	// Timeout bounds each call the Presence makes on its own (heartbeats);
	// zero is DefaultTimeout.
	Timeout time.Duration
	Log     *slog.Logger
}

// Presence is the cluster-wide adapter.Presence on Redis. The local map of
// client id → uid (this instance's pages) is the source of truth for this
// instance; Redis holds each
// instance's copy and the cluster-wide sums, so Online and Counts are one
// round trip. A heartbeat every TTL/4 keeps the instance alive, reaps
// instances that stopped, and re-registers the local map whenever Redis
// lost it (a restart, or this instance was reaped after a long pause).
type Presence struct {
	c    goredis.UniversalClient
	opts PresenceOptions
	keys presenceKeys

	// syncMu lets Join and Leave run together (read side) but never during
	// a re-registration (write side), which copies the local map.
	syncMu sync.RWMutex
	mu     sync.Mutex
	local  map[string]string // client id → uid
	// pageIn is this instance's pages in each group by their own
	// membership, per uid.
	pageIn map[pageKey]int64

	// dirty says Redis may not match the local map: the next heartbeat
	// re-registers it, and Join and Leave only touch the local map.
	dirty atomic.Bool
	// down is set while Redis is unreachable, for the log.
	down atomic.Bool
	// registered is set once the first registration succeeded.
	registered atomic.Bool

	// wake asks the heartbeat to beat now: a connection to Redis was
	// (re)made, maybe to a Redis that restarted empty.
	wake chan struct{}
	stop context.CancelFunc
	done chan struct{}
}

// NewPresence registers this instance (an empty record) and starts its
// heartbeat. ctx bounds the first registration only; when it fails the
// heartbeat keeps trying.
func NewPresence(ctx context.Context, c goredis.UniversalClient, opts PresenceOptions) *Presence {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	p := &Presence{c: c, opts: opts, keys: newPresenceKeys(opts.Prefix), local: make(map[string]string),
		pageIn: make(map[pageKey]int64), wake: make(chan struct{}, 1), done: make(chan struct{})}
	p.dirty.Store(true)
	reconnects(c, p.kick)
	if _, cluster := c.(*goredis.ClusterClient); !cluster {
		// A new primary may lack this instance's latest changes: the old
		// one took them after the promotion, or never replicated them.
		moves(c, func() { p.dirty.Store(true); p.kick() })
	}
	p.beat(ctx)
	loop, stop := context.WithCancel(context.Background())
	p.stop = stop
	go p.heartbeat(loop)
	return p
}

// interval is the time between heartbeats: TTL/4. An instance is reaped
// once it has missed three, so a killed instance's uids go offline at most
// TTL after its last heartbeat.
func (p *Presence) interval() time.Duration { return p.opts.TTL / 4 }

func (p *Presence) args(extra ...any) []any {
	return append([]any{p.keys.base, p.opts.Instance}, extra...)
}

// Join implements adapter.Presence. A page joined twice counts once.
func (p *Presence) Join(ctx context.Context, uid, client string, pageGroups []string) ([]string, error) {
	return p.change(ctx, uid, client, 1, pageGroups, 1)
}

// Leave implements adapter.Presence. Leaving a page that is not recorded
// here is a no-op, so a doubled disconnect cannot drive a count negative.
func (p *Presence) Leave(ctx context.Context, uid, client string, pageGroups []string) error {
	_, err := p.change(ctx, uid, client, -1, pageGroups, -1)
	return err
}

// PageGroups implements adapter.Presence.
func (p *Presence) PageGroups(ctx context.Context, uid string, groups []string, delta int64) error {
	_, err := p.change(ctx, uid, "", 0, groups, delta)
	return err
}

// change records page client of uid joined (delta 1), gone (-1) or kept
// (0), and gdelta of uid's pages in groups, here and in Redis; it returns
// uid's groups (by membership of the uid).
func (p *Presence) change(ctx context.Context, uid, client string, delta int64, groups []string, gdelta int64) ([]string, error) {
	p.syncMu.RLock()
	defer p.syncMu.RUnlock()
	if !p.changeLocal(uid, client, delta, groups, gdelta) {
		if delta > 0 {
			return p.groupsOf(ctx, uid)
		}
		return nil, nil
	}
	if p.dirty.Load() {
		// The next heartbeat carries the change; the groups are read.
		return p.groupsOf(ctx, uid)
	}
	args := p.args(append([]any{uid, delta, client, gdelta}, anys(groups)...)...)
	res, err := scriptChange.Run(ctx, p.c, p.keys.list(), args...).Slice()
	if err != nil || len(res) != 2 {
		p.dirty.Store(true)
		return nil, fmt.Errorf("redis presence: recording uid %q: %w", uid, err)
	}
	if status, _ := res[0].(int64); status < 0 {
		p.dirty.Store(true) // Redis lost this instance's record
	}
	return strs(res[1]), nil
}

// changeLocal applies a change to the local maps; false: a join of a
// page joined already, or a leave of one not here, a no-op.
func (p *Presence) changeLocal(uid, client string, delta int64, groups []string, gdelta int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	owner, has := p.local[client]
	switch {
	case delta > 0 && has, delta < 0 && (!has || owner != uid):
		return false
	case delta > 0:
		p.local[client] = uid
	case delta < 0:
		delete(p.local, client)
	}
	for _, g := range groups {
		k := pageKey{g, uid}
		switch m := p.pageIn[k] + gdelta; {
		case m > 0:
			p.pageIn[k] = m
		case m == 0:
			delete(p.pageIn, k)
		}
	}
	return true
}

// Online implements adapter.Presence with one HMGET.
func (p *Presence) Online(ctx context.Context, uids []string) ([]bool, error) {
	vals, err := p.onlineCmd(ctx, p.c, uids).Result()
	if err != nil {
		return nil, fmt.Errorf("redis presence: reading %d uids: %w", len(uids), err)
	}
	return onlineOf(vals, len(uids)), nil
}

// onlineCmd is Online's HMGET, on c or in a pipeline.
func (p *Presence) onlineCmd(ctx context.Context, c goredis.Cmdable, uids []string) *goredis.SliceCmd {
	return c.HMGet(ctx, p.keys.uids, uids...)
}

// onlineOf reads HMGET's answer for n uids: each is online when its count
// of pages is positive.
func onlineOf(vals []any, n int) []bool {
	out := make([]bool, n)
	for i, v := range vals {
		if i == n {
			break
		}
		s, _ := v.(string)
		c, _ := strconv.ParseInt(s, 10, 64)
		out[i] = c > 0
	}
	return out
}

// Reach implements adapter.Presence with one pipelined round trip.
func (p *Presence) Reach(ctx context.Context, t push.Targets) (push.Reach, error) {
	var lookup reachLookup
	_, err := p.c.Pipelined(ctx, func(pipe goredis.Pipeliner) error {
		lookup = p.reachCmds(ctx, pipe, t)
		return nil
	})
	if err != nil {
		return push.Reach{}, fmt.Errorf("redis presence: reading %d uids, %d groups and %d clients: %w", len(t.UIDs), len(t.Groups), len(t.Clients), err)
	}
	return lookup.reach(), nil
}

// reachLookup is the commands of one Reach in a pipeline.
type reachLookup struct {
	uids, clients *goredis.SliceCmd
	groups        *goredis.Cmd
	nUIDs, nCli   int
	nGroups       int
}

// reachCmds queues the lookups of t's uids, groups and clients in pipe.
func (p *Presence) reachCmds(ctx context.Context, pipe goredis.Pipeliner, t push.Targets) reachLookup {
	l := reachLookup{nUIDs: len(t.UIDs), nCli: len(t.Clients), nGroups: len(t.Groups)}
	if len(t.UIDs) > 0 {
		l.uids = p.onlineCmd(ctx, pipe, t.UIDs)
	}
	if len(t.Groups) > 0 {
		l.groups = p.groupOnlineCmd(ctx, pipe, t.Groups)
	}
	if len(t.Clients) > 0 {
		l.clients = pipe.HMGet(ctx, p.keys.clients, t.Clients...)
	}
	return l
}

// reach reads the answers of a pipeline that ran.
func (l reachLookup) reach() push.Reach {
	r := push.Reach{UIDs: make([]bool, l.nUIDs), Clients: make([]bool, l.nCli)}
	if l.uids != nil {
		r.UIDs = onlineOf(l.uids.Val(), l.nUIDs)
	}
	if l.groups != nil {
		r.Groups = groupOnlineOf(l.groups, l.nGroups)
	}
	if l.clients != nil {
		for i, v := range l.clients.Val() {
			if i < l.nCli {
				r.Clients[i] = v != nil
			}
		}
	}
	return r
}

// Clients implements adapter.Presence with one ZRANGEBYLEX.
func (p *Presence) Clients(ctx context.Context, uid, after string, limit int) ([]string, bool, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	ids, err := p.c.ZRangeByLex(ctx, p.keys.ucPrefix+uid, &goredis.ZRangeBy{Min: start, Max: "+", Count: int64(limit) + 1}).Result()
	if err != nil {
		return nil, false, fmt.Errorf("redis presence: listing the clients of uid %q: %w", uid, err)
	}
	if len(ids) > limit {
		return ids[:limit:limit], true, nil
	}
	return ids, false, nil
}

// Counts implements adapter.Presence with one pipelined round trip.
func (p *Presence) Counts(ctx context.Context) (adapter.Counts, error) {
	var uids *goredis.IntCmd
	var pages *goredis.StringCmd
	_, err := p.c.Pipelined(ctx, func(pipe goredis.Pipeliner) error {
		uids = pipe.HLen(ctx, p.keys.uids)
		pages = pipe.Get(ctx, p.keys.pages)
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return adapter.Counts{}, fmt.Errorf("redis presence: reading counts: %w", err)
	}
	n, _ := pages.Int64() // missing: no page open
	return adapter.Counts{UIDs: uids.Val(), Pages: max(n, 0)}, nil
}

// Ready reports whether Redis answers.
func (p *Presence) Ready(ctx context.Context) error {
	if err := p.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// Close stops the heartbeat and removes this instance's presence from the
// cluster at once.
func (p *Presence) Close(ctx context.Context) error {
	p.stop()
	<-p.done
	if err := scriptRemove.Run(ctx, p.c, p.keys.list(), p.args()...).Err(); err != nil {
		return fmt.Errorf("redis presence: removing instance %s: %w", p.opts.Instance, err)
	}
	return nil
}

// heartbeat beats every interval, or every downRetry while Redis is away,
// and soon after a new connection to Redis.
func (p *Presence) heartbeat(ctx context.Context) {
	defer close(p.done)
	t := time.NewTimer(p.interval())
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.wake:
			if wait := wakeGap - time.Since(last); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
		p.beat(ctx)
		last = time.Now()
		next := p.interval()
		if p.down.Load() {
			next = min(next, downRetry)
		}
		t.Reset(next)
	}
}

// kick asks for a heartbeat now, without waiting.
func (p *Presence) kick() {
	select {
	case p.wake <- struct{}{}:
	default: // one is asked for already
	}
}

// reconnects calls onDial after each new connection the client makes, on
// every node of a Redis Cluster too. A Redis that restarted empty is
// first seen as a new connection, often well before the next heartbeat:
// a heartbeat then tells at once whether it lost this instance's record,
// rather than up to TTL/4 later, while every push would answer offline.
func reconnects(c goredis.UniversalClient, onDial func()) {
	h := dialHook(onDial)
	if cc, ok := c.(*goredis.ClusterClient); ok {
		cc.OnNewNode(func(node *goredis.Client) { node.AddHook(h) })
		return
	}
	c.AddHook(h)
}

// moves calls onMove after a new connection of c went to another address
// than the connection before it: the server moved, as after a Sentinel
// failover, where the client's pool follows the new primary but an open
// subscription does not. Only for clients of one server at a time (not a
// Redis Cluster, whose connections go to many).
func moves(c goredis.UniversalClient, onMove func()) {
	var mu sync.Mutex
	last := ""
	c.AddHook(connHook(func(conn net.Conn) {
		addr := conn.RemoteAddr().String()
		mu.Lock()
		moved := last != "" && addr != last
		last = addr
		mu.Unlock()
		if moved {
			onMove()
		}
	}))
}

// connHook is a go-redis hook that only watches the connections dialled.
type connHook func(net.Conn)

func (h connHook) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err == nil {
			h(conn)
		}
		return conn, err
	}
}

func (h connHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }

func (h connHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// dialHook is a go-redis hook that only watches dials.
type dialHook func()

func (h dialHook) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err == nil {
			h()
		}
		return conn, err
	}
}

func (h dialHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }

func (h dialHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// beat refreshes this instance, reaps dead ones, and re-registers the local
// map when Redis does not have it. It logs when Redis goes and comes back.
// Each Redis call gets its own redis.timeout: a re-registration of many
// uids is many calls, and one deadline for all of them would never fit a
// loaded Redis, so it would start over forever.
func (p *Presence) beat(ctx context.Context) {
	bctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	synced, err := scriptHeartbeat.Run(bctx, p.c, p.keys.list(), p.args(p.alive())...).Int()
	cancel()
	if err == nil && (synced == 0 || p.dirty.Load()) {
		if synced == 0 && p.registered.Load() && !p.down.Load() {
			p.opts.Log.Warn("redis lost this instance's presence (restarted, or this instance was reaped after a pause): re-registering")
		}
		err = p.resync(ctx)
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return // stopping
		}
		if !p.down.Swap(true) {
			p.opts.Log.Error("redis unreachable: pushes and presence fail until it returns; local clients stay connected",
				"err", err)
		}
		return
	}
	if p.down.Swap(false) {
		p.opts.Log.Info("redis reachable again: presence re-registered")
	}
}

// resync replaces this instance's record in Redis with the local maps, in
// chunks of syncChunk entries, each call bounded by redis.timeout on its
// own.
func (p *Presence) resync(ctx context.Context) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	p.dirty.Store(false)
	p.mu.Lock()
	pairs := make([]any, 0, 2*len(p.local))
	for client, uid := range p.local {
		pairs = append(pairs, client, uid)
	}
	triples := make([]any, 0, 3*len(p.pageIn))
	for k, n := range p.pageIn {
		triples = append(triples, k.group, k.uid, n)
	}
	p.mu.Unlock()
	chunks := chunk("c", pairs, 2)
	if len(triples) > 0 {
		chunks = append(chunks, chunk("g", triples, 3)...)
	}
	alive := p.alive()
	for i, c := range chunks {
		first, last := flag(i == 0), flag(i == len(chunks)-1)
		args := p.args(append([]any{alive, first, last}, c...)...)
		cctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
		err := scriptSync.Run(cctx, p.c, p.keys.list(), args...).Err()
		cancel()
		if err != nil {
			p.dirty.Store(true)
			return fmt.Errorf("redis presence: re-registering %d pages: %w", len(pairs)/2, err)
		}
	}
	p.registered.Store(true)
	p.opts.Log.Debug("redis presence registered", "pages", len(pairs)/2, "group_memberships", len(triples)/3)
	return nil
}

// chunk cuts entries (of width values each) into scriptSync's chunks of
// kind, at least one.
func chunk(kind string, entries []any, width int) [][]any {
	var out [][]any
	for start := 0; start == 0 || start < len(entries); start += width * syncChunk {
		end := min(start+width*syncChunk, len(entries))
		out = append(out, append([]any{kind}, entries[start:end]...))
	}
	return out
}

// alive is how long, in ms, a heartbeat keeps this instance alive: it is
// reaped after missing three.
func (p *Presence) alive() int64 {
	return p.opts.TTL.Milliseconds() - p.interval().Milliseconds()
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
