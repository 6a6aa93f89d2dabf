// Package adapter declares where pushio keeps cluster state: Presence says
// which uids are online and how many, across every instance. The memory
// implementation (adapter/memory) serves a single node; the Redis one
// (adapter/redis) makes many instances act as one. Fan-out of Socket.IO
// packets to other instances is the Socket.IO library's own Adapter
// interface, which the Redis package implements as well.
//
// This package imports neither server nor pushapi.
package adapter

import (
	"context"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/servers/socket/v3"
)

// Counts are the figures shown in update_online_count.
type Counts struct {
	// UIDs is the number of distinct logged-in uids.
	UIDs int64 `json:"uids"`
	// Pages is the number of logged-in sockets.
	Pages int64 `json:"pages"`
}

// Presence records the logged-in sockets of every uid. Join and Leave are
// called once per socket by the instance that holds it; Online and Counts
// answer for the whole cluster.
type Presence interface {
	// Join records one more socket of uid on this instance.
	Join(ctx context.Context, uid string) error
	// Leave records one socket of uid fewer on this instance.
	Leave(ctx context.Context, uid string) error
	// Online reports, for each uid, whether it has a socket anywhere.
	Online(ctx context.Context, uids []string) ([]bool, error)
	// Counts returns the cluster-wide figures.
	Counts(ctx context.Context) (Counts, error)
	// Close removes this instance's presence at once.
	Close(ctx context.Context) error
}

// Broadcaster is the optional ability of a fan-out adapter (the library's
// socket.Adapter of a namespace) to say whether a broadcast reached the
// other instances. The server asks for it by type assertion; the library's
// in-memory adapter has no other instance to fail to reach.
type Broadcaster interface {
	// BroadcastContext sends packet to the sockets opts selects on every
	// instance, or returns an error without delivering anything.
	BroadcastContext(ctx context.Context, packet *parser.Packet, opts *socket.BroadcastOptions) error
}
