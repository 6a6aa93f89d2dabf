// Package adapter declares where pushio keeps cluster state: Presence says
// which uids are online and how many, across every instance. The memory
// implementation (adapter/memory) serves a single node; the Redis one
// (adapter/redis) makes many instances act as one. Fanout carries
// Socket.IO broadcasts between instances, in @socket.io/redis-adapter's
// wire format, into each instance's Local side.
//
// This package imports neither server nor pushapi.
package adapter

import (
	"context"
	"time"

	"github.com/pushio/pushio/push"
)

// Counts are the figures shown in update_online_count.
type Counts struct {
	// UIDs is the number of distinct logged-in uids.
	UIDs int64 `json:"uids"`
	// Pages is the number of logged-in sockets.
	Pages int64 `json:"pages"`
}

// Presence records the logged-in pages of every uid, each under its
// client id (the page's id). Join and Leave are called once per page by
// the instance that holds it; Online, Reach, Clients and Counts answer for
// the whole cluster, each in one round trip.
type Presence interface {
	// Join records page client of uid on this instance.
	Join(ctx context.Context, uid, client string) error
	// Leave removes page client of uid; a page not recorded is a no-op.
	Leave(ctx context.Context, uid, client string) error
	// Online reports, for each uid, whether it has a page anywhere.
	Online(ctx context.Context, uids []string) ([]bool, error)
	// Reach reports whether each uid and each client of t has a page
	// anywhere (Reach.UIDs, Reach.Clients); Exclude plays no part.
	Reach(ctx context.Context, t push.Targets) (push.Reach, error)
	// Clients lists the client ids of uid's pages in byte order: at
	// most limit (> 0) of those after the id after ("" is the start),
	// and whether more follow.
	Clients(ctx context.Context, uid, after string, limit int) (ids []string, more bool, err error)
	// Counts returns the cluster-wide figures.
	Counts(ctx context.Context) (Counts, error)
	// Close removes this instance's presence at once.
	Close(ctx context.Context) error
}

// Packet is a Socket.IO packet as the adapter wire carries it: {type,
// data, nsp}; Data is the EVENT's array, the event name first (as decoded
// from msgpack: strings, int64/uint64/float64, map[string]any, []any,
// []byte).
type Packet struct {
	Type int
	Nsp  string
	Data []any
}

// Selector picks sockets of one instance: those in any of Rooms (all when
// empty) and in none of Except (a socket id counts as a room).
type Selector struct{ Rooms, Except []string }

// SocketInfo is one socket as fetchSockets reports it.
type SocketInfo struct {
	ID     string
	Rooms  []string
	Addr   string
	Issued time.Time
}

// Local is this instance's side of the fan-out: what other instances'
// broadcasts and requests act on. Package server implements it; every
// method is safe for concurrent use and never waits on the network.
type Local interface {
	// Deliver hands a broadcast from another server to this instance's
	// sockets in namespace p.Nsp that sel picks.
	Deliver(p Packet, sel Selector)
	// Has reports whether a socket here is in room, so that a room
	// channel's message can be skipped undecoded.
	Has(room string) bool
	Join(nsp string, sel Selector, rooms []string)
	Leave(nsp string, sel Selector, rooms []string)
	Disconnect(nsp string, sel Selector, close bool)
	Fetch(nsp string, sel Selector) []SocketInfo
	Rooms(nsp string) []string
}

// Outgoing is one push as the fan-out carries it to the other
// instances: Packet (nil for none, a kick without a message) for the
// pages Targets pick, then, when Kick, their disconnection.
type Outgoing struct {
	Packet  *Packet
	Targets push.Targets
	Kick    bool
}

// Fanout carries this instance's broadcasts to the other instances
// (pushio or Node) and theirs to its Local.
type Fanout interface {
	// Send publishes every push of out for the other instances (it does
	// not deliver locally: the caller does), within ctx, and
	// reads the reach of their targets from the presence, all in one
	// round trip; each push's packet goes before its disconnection. The
	// answer has one Reach per push (zero for a broadcast). An error
	// means the pushes may not have reached the others and the answer
	// is unknown.
	Send(ctx context.Context, out []Outgoing) ([]push.Reach, error)
	Close() error
}
