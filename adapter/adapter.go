// Package adapter declares where pushio keeps cluster state: Presence says
// which uids are online and how many, across every instance. The memory
// implementation (adapter/memory) serves a single node; the Redis one
// (adapter/redis) makes many instances act as one. Fanout carries
// Socket.IO broadcasts between instances, in @socket.io/redis-adapter's
// wire format, into each instance's Local side.
//
// Holder keeps the pushes that reached no page of a uid (held messages)
// until their ttl ends, for the uid's next login: both Presence
// implementations are Holders, so that a login records its page and takes
// the uid's held messages at once (atomically: of two pages of a uid
// logging in together, exactly one takes each message).
//
// This package imports neither server nor pushapi.
package adapter

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
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
// client id (the page's id), and groups. Join and Leave are called once
// per page by the instance that holds it; Online, Reach, Clients, Counts
// and the group queries answer for the whole cluster, each in one round
// trip.
//
// A page is in a group by its uid's membership (JoinGroups: it lasts
// until LeaveGroups or Ungroup, for every page of the uid, open now or
// later) or by one of its own (the groups of its login token, a join by
// its client id: recorded by the instance holding it, for the page's
// life). The group queries count both, each page once.
type Presence interface {
	// Join records page client of uid on this instance, in pageGroups by
	// its own membership, and returns uid's groups as they stand once the
	// page is recorded: a JoinGroups that this read missed comes after it.
	Join(ctx context.Context, uid, client string, pageGroups []string) ([]string, error)
	// Leave removes page client of uid, and its own memberships of
	// pageGroups; a page not recorded is a no-op.
	Leave(ctx context.Context, uid, client string, pageGroups []string) error
	// PageGroups records delta (+1 or -1) pages of uid on this instance in
	// groups by their own membership (a join or leave by client id).
	PageGroups(ctx context.Context, uid string, groups []string, delta int64) error
	// Online reports, for each uid, whether it has a page anywhere.
	Online(ctx context.Context, uids []string) ([]bool, error)
	// Reach reports whether each uid, group and client of t has a page
	// anywhere (Reach.UIDs, Reach.Groups, Reach.Clients); Exclude plays
	// no part.
	Reach(ctx context.Context, t push.Targets) (push.Reach, error)
	// Clients lists the client ids of uid's pages in byte order: at
	// most limit (> 0) of those after the id after ("" is the start),
	// and whether more follow.
	Clients(ctx context.Context, uid, after string, limit int) (ids []string, more bool, err error)
	// Counts returns the cluster-wide figures.
	Counts(ctx context.Context) (Counts, error)
	// JoinGroups makes each uid a member of each group, all or nothing:
	// when a uid would be in more than max groups it changes nothing and
	// returns a *TooManyGroupsError.
	JoinGroups(ctx context.Context, uids, groups []string, max int) error
	// LeaveGroups ends the memberships of each uid in each group.
	LeaveGroups(ctx context.Context, uids, groups []string) error
	// Ungroup ends every membership of each group, by uid and by page.
	Ungroup(ctx context.Context, groups []string) error
	// GroupOnline reports, for each group, whether a page is in it.
	GroupOnline(ctx context.Context, groups []string) ([]bool, error)
	// GroupCounts counts the logged-in uids and pages in group.
	GroupCounts(ctx context.Context, group string) (Counts, error)
	// UIDs lists online uids (of group; of everyone when group is ""),
	// at most limit of them, from after cursor ("": from the start): in
	// byte order, for a group its uid members first, then the uids in it
	// by their pages' own memberships alone. next is "" at the end; a page
	// may hold fewer than limit before the end.
	UIDs(ctx context.Context, group, cursor string, limit int) (uids []string, next string, err error)
	// Close removes this instance's presence at once.
	Close(ctx context.Context) error
}

// TooManyGroupsError is JoinGroups' refusal.
type TooManyGroupsError struct {
	UID string
	Max int
}

func (e *TooManyGroupsError) Error() string {
	return fmt.Sprintf("uid %q would be in more than %d groups", e.UID, e.Max)
}

// ErrBadCursor is a UIDs cursor that no UIDs answer gave.
var ErrBadCursor = errors.New("bad cursor")

// Held is one message kept for a uid.
type Held struct {
	// ID is the push's id: a page that got the push live is not given
	// it again.
	ID string
	// Text is the message as pages get it (a Socket.IO EVENT packet's
	// text; other wires re-encode it).
	Text []byte
}

// Size is what a held message counts against HoldLimits.MaxBytes.
func (h Held) Size() int64 { return int64(len(h.ID) + len(h.Text)) }

// Defaults of HoldLimits' zero fields (hold.max_messages, hold.max_bytes).
const (
	DefaultHoldMessages = 100
	DefaultHoldBytes    = 64 << 10
)

// HoldLimits bound the held messages of one uid: past either bound the
// oldest are dropped first. Zero fields take the defaults.
type HoldLimits struct {
	MaxMessages int
	MaxBytes    int64
}

// WithDefaults returns l with its zero fields set to the defaults.
func (l HoldLimits) WithDefaults() HoldLimits {
	if l.MaxMessages <= 0 {
		l.MaxMessages = DefaultHoldMessages
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultHoldBytes
	}
	return l
}

// HoldResult is what a hold did: whether each uid asked was online, the
// uids (asked, or members of the groups asked) it held the message for,
// and how many older messages the limits dropped.
type HoldResult struct {
	Online  []bool
	Held    []string
	Dropped int
}

// Holder is a Presence that holds messages for the uids it finds offline.
type Holder interface {
	Presence
	// JoinTake is Join, and takes every held message of uid that has
	// not expired, oldest first, in one atomic step: a message is taken
	// by one login only, and a HoldOffline either sees this page or
	// holds for this login.
	JoinTake(ctx context.Context, uid, client string, pageGroups []string) (groups []string, held []Held, err error)
	// HoldOffline reports, for each uid, whether it has a page anywhere,
	// and holds h for ttl for each of uids and of the members (by uid) of
	// groups that has none, in one atomic step.
	HoldOffline(ctx context.Context, uids, groups []string, h Held, ttl time.Duration) (HoldResult, error)
	// HeldCount is how many unexpired messages uid has held.
	HeldCount(ctx context.Context, uid string) (int, error)
	// Purge drops uid's held messages and says how many there were.
	Purge(ctx context.Context, uid string) (int, error)
	// HoldLimits are the limits it holds within, defaults applied.
	HoldLimits() HoldLimits
}

// Packet is a Socket.IO packet as the adapter wire carries it: {type,
// data, nsp}; Data is the EVENT's array, the event name first (as decoded
// from msgpack: strings, int64/uint64/float64, map[string]any, []any,
// []byte).
type Packet struct {
	Type int
	Nsp  string
	Data []any
	// ID is pushio's id of a push that may be held (Held.ID), "" for
	// others, TTL how long it is held, and Read when its sender read its
	// reach (Hold.Read, by the sender's clock); the wire carries them as
	// broadcast flags, which Node ignores.
	ID   string
	TTL  time.Duration
	Read time.Time
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
	// Hold, when set, holds a message for the offline uids of Targets.
	Hold *Hold
}

// Hold asks that Held be held for TTL for each uid of a push's targets
// (and member by uid of its groups) that has no page, in the step that
// reads their reach (as Holder.HoldOffline). Send sets Result.
type Hold struct {
	Held   Held
	TTL    time.Duration
	Result HoldResult
	// Read is when the push's sender read its reach, by the sender's
	// clock (the instances' clocks are taken to agree, as NTP keeps
	// them, within a few milliseconds); zero when not known.
	Read time.Time
}

// Fanout carries this instance's broadcasts to the other instances
// (pushio or Node) and theirs to its Local.
type Fanout interface {
	// Send publishes every push of out for the other instances (it does
	// not deliver locally: the caller does), within ctx, and
	// reads the reach of their targets from the presence, all in one
	// round trip; each push's packet goes before its disconnection, and
	// a push with a Hold holds its message for the offline uids. The
	// answer has one Reach per push (zero for a broadcast). An error
	// means the pushes may not have reached the others and the answer
	// is unknown.
	Send(ctx context.Context, out []Outgoing) ([]push.Reach, error)
	// AddSockets makes the other instances' sockets that sel picks join
	// rooms; DelSockets makes them leave them.
	AddSockets(ctx context.Context, sel Selector, rooms []string) error
	DelSockets(ctx context.Context, sel Selector, rooms []string) error
	// FetchSockets asks every other instance for its sockets that sel
	// picks and waits for their answers: each has handled the requests
	// sent before it.
	FetchSockets(ctx context.Context, sel Selector) ([]SocketInfo, error)
	Close() error
}

// Cursor is where a UIDs listing stands: its phase (the uid members of a
// group, then the uids only in it by their pages' own memberships) and
// the last uid listed. Both implementations hand it out as Encode gives.
type Cursor struct {
	Pages bool // in the second phase
	Last  string
}

// Encode is the cursor as UIDs hands it out: opaque, URL-safe.
func (c Cursor) Encode() string {
	phase := "m"
	if c.Pages {
		phase = "p"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(phase + c.Last))
}

// DecodeCursor reads an Encode'd cursor; "" is the start.
func DecodeCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || (b[0] != 'm' && b[0] != 'p') {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{Pages: b[0] == 'p', Last: string(b[1:])}, nil
}
