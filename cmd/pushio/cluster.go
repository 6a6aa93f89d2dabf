package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/adapter/memory"
	redisadapter "github.com/pushio/pushio/adapter/redis"
	"github.com/pushio/pushio/internal/config"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/recovery"
)

// cluster is the adapter pair chosen by config: presence and fan-out.
type cluster struct {
	name     string
	instance string
	presence adapter.Presence
	// fanout connects the server's rooms to the other instances'; nil on
	// a single node.
	fanout func(adapter.Local) (adapter.Fanout, error)
	// store keeps the sessions of connection state recovery; nil is the
	// server's memory (a single node).
	store recovery.Store
	ready func(context.Context) error
	close func(context.Context)
}

// newCluster builds the memory adapter for a single node (redis.url empty)
// or the Redis one, whose calls m observes.
func newCluster(ctx context.Context, cfg *config.Config, m *metrics.Metrics, log *slog.Logger) (*cluster, error) {
	id := instanceID()
	if cfg.Redis.URL != "" {
		return newRedisCluster(ctx, cfg, id, m, log)
	}
	p := memory.NewLimited(holdLimits(cfg))
	return &cluster{
		name:     "memory",
		instance: id,
		presence: p,
		ready:    func(context.Context) error { return nil },
		close:    func(ctx context.Context) { _ = p.Close(ctx) },
	}, nil
}

// newRedisCluster connects to redis.url and fails when Redis does not
// answer within redis.timeout. Later outages are survived, not fatal.
func newRedisCluster(ctx context.Context, cfg *config.Config, id string, m *metrics.Metrics, log *slog.Logger) (*cluster, error) {
	log = log.With("instance", id)
	// Before the first dial: go-redis's own lines (a refused dial at start-up
	// too) go to the debug log, never as plain text among JSON lines.
	goredis.SetLogger(redisLog{log})
	client, err := redisadapter.NewClient(cfg.Redis.URL, cfg.Redis.Timeout)
	if err != nil {
		return nil, err
	}
	redisadapter.Observe(client, m.ObserveRedis)
	pctx, cancel := context.WithTimeout(ctx, cfg.Redis.Timeout)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redis: connecting to %s: %w (is redis.url right, and Redis running?)", redacted(cfg.Redis.URL), err)
	}
	rctx, cancelRegister := context.WithTimeout(ctx, cfg.Redis.Timeout)
	defer cancelRegister()
	p := redisadapter.NewPresence(rctx, client, redisadapter.PresenceOptions{
		Prefix:   cfg.Redis.Prefix,
		Instance: id,
		TTL:      cfg.Redis.PresenceTTL,
		Hold:     holdLimits(cfg),
		Timeout:  cfg.Redis.Timeout,
		Log:      log,
	})
	fanout := func(local adapter.Local) (adapter.Fanout, error) {
		return redisadapter.NewFanout(client, redisadapter.FanoutOptions{
			Prefix:   cfg.Redis.Prefix,
			UID:      id,
			Timeout:  cfg.Redis.Timeout,
			Presence: p,
			Log:      log,
		}, local)
	}
	return &cluster{
		name:     "redis",
		instance: id,
		presence: p,
		fanout:   fanout,
		store:    redisadapter.NewRecovery(client, cfg.Redis.Prefix, cfg.Recovery.Window, cfg.Recovery.MaxPackets),
		ready:    p.Ready,
		close: func(ctx context.Context) {
			if err := p.Close(ctx); err != nil {
				log.Warn("leaving the cluster: presence not removed; it expires after redis.presence_ttl", "err", err)
			}
			_ = client.Close()
		},
	}, nil
}

// instanceID names this process in the cluster: host, pid and a random
// part, so that a restarted process never takes a dead one's place.
func instanceID() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// redacted hides the password of a Redis URL.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// redisLog sends go-redis's own messages (each failed dial while Redis is
// away, …) to the debug log; pushio logs the outage once itself.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug(fmt.Sprintf(format, v...), "component", "go-redis")
}

// holdLimits are the bounds of each uid's held messages (hold.*).
func holdLimits(cfg *config.Config) adapter.HoldLimits {
	return adapter.HoldLimits{MaxMessages: cfg.Hold.MaxMessages, MaxBytes: cfg.Hold.MaxBytes}
}
