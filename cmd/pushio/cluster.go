package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/internal/config"
)

// cluster is the adapter pair chosen by config: presence and fan-out.
type cluster struct {
	name     string
	instance string
	presence adapter.Presence
	// fanout is the Socket.IO adapter; nil keeps the library's in-memory one.
	fanout socket.AdapterConstructor
	ready  func(context.Context) error
	close  func(context.Context)
}

// newCluster builds the memory adapter for a single node (redis.url empty).
func newCluster(_ context.Context, cfg *config.Config, _ *slog.Logger) (*cluster, error) {
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s-%d", host, os.Getpid())
	if cfg.Redis.URL != "" {
		return nil, fmt.Errorf("config: redis.url %q: the Redis adapter is not part of this build yet", cfg.Redis.URL)
	}
	p := memory.New()
	return &cluster{
		name:     "memory",
		instance: id,
		presence: p,
		ready:    func(context.Context) error { return nil },
		close:    func(ctx context.Context) { _ = p.Close(ctx) },
	}, nil
}
