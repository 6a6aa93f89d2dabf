package server

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/hub"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/recovery"
	"github.com/pushio/pushio/socketio"
)

// RecoveryOptions turn on Socket.IO's connection state recovery for
// socket.io-client 4.6 and later (package recovery): a page whose
// connection ends without its asking gets its socket id, its login and its
// rooms back, and every packet it missed, when it reconnects within
// Window.
type RecoveryOptions struct {
	// Recovery is how long a parked session is kept (zero: off) and the
	// packets kept for it, past which the session is dropped and its page
	// gets a normal connect (recovery.window, recovery.max_packets).
	settings.Recovery
	// Store keeps parked sessions; nil is memory (a single node).
	Store recovery.Store
}

// The ring of this instance's latest broadcasts: what a page whose
// connection ended may not have read is found there. A page that stayed
// connected while more than this was broadcast does not recover.
const (
	ringEntries = 65536
	ringBytes   = 16 << 20
	// recordQueue is how many store calls may wait for each recorder.
	recordQueue = 8192
	// sharedRecorders is how many recorders make a shared store's calls
	// (Redis: a round trip each), each the calls of its share of the pids.
	// One made under ~1,000 a second with 16,000 pages leaving at once
	// (a load balancer restarting), so half of them found its queue full
	// and lost their recovery, and the backlog outlasted a SIGTERM's
	// shutdown_timeout. Their queues take 1 MB (16 × recordQueue slots).
	sharedRecorders = 16
)

// numbering numbers what this instance hands its pages, one broadcast at
// a time, so that every page gets its packets in offset order; with
// recovery on it also keeps the ring, the parked pages of this instance
// (a hub of their own, so that broadcasts find them as they find pages)
// and the store, whose calls recorder goroutines make, those of one pid in
// order, by one recorder.
type numbering struct {
	on       bool
	shared   bool // the store is shared with other instances
	instance string
	opts     RecoveryOptions
	timeout  time.Duration

	mu     sync.Mutex    // with recovery on: numbers, delivers and records one broadcast at a time
	seq    atomic.Uint64 // the latest number
	ring   *recovery.Ring
	parked *hub.Hub[*engine.Message]
	byPID  map[string]*parkedPage
	live   map[string]*user // recovering pages connected here, by pid

	ops  []chan func(context.Context) // one per recorder; a pid's go to one
	seed maphash.Seed                 // picks a pid's recorder
	quit chan struct{}                // closed by close: the recorders finish what waits
	done chan struct{}                // closed when every recorder returned
}

func newNumbering(opts RecoveryOptions, timeout time.Duration) *numbering {
	n := &numbering{on: opts.Window > 0, shared: opts.Store != nil, instance: recovery.NewInstance(), opts: opts, timeout: timeout}
	if !n.on {
		return n
	}
	if n.opts.Store == nil {
		n.opts.Store = recovery.NewMemory(opts.Window, opts.MaxPackets)
	}
	n.ring = recovery.NewRing(ringEntries, ringBytes)
	n.parked = hub.New[*engine.Message]()
	n.byPID = make(map[string]*parkedPage)
	n.live = make(map[string]*user)
	recorders := 1
	if n.shared {
		recorders = sharedRecorders
	}
	n.ops = make([]chan func(context.Context), recorders)
	n.seed = maphash.MakeSeed()
	n.quit = make(chan struct{})
	n.done = make(chan struct{})
	var wg sync.WaitGroup
	for i := range n.ops {
		n.ops[i] = make(chan func(context.Context), recordQueue)
		wg.Go(func() { n.record(n.ops[i]) })
	}
	go func() { wg.Wait(); close(n.done) }()
	return n
}

// opsOf is the queue of pid's recorder.
func (n *numbering) opsOf(pid string) chan func(context.Context) {
	if len(n.ops) == 1 {
		return n.ops[0]
	}
	return n.ops[maphash.String(n.seed, pid)%uint64(len(n.ops))]
}

// record makes the store's calls of ops in the order they were asked
// for, each within the call timeout; after quit, it makes those that wait
// and returns.
func (n *numbering) record(ops chan func(context.Context)) {
	run := func(op func(context.Context)) {
		ctx, cancel := context.WithTimeout(context.Background(), n.timeout)
		defer cancel()
		op(ctx)
	}
	for {
		select {
		case op := <-ops:
			run(op)
		case <-n.quit:
			for {
				select {
				case op := <-ops:
					run(op)
				default:
					return
				}
			}
		}
	}
}

// close stops the recorder once the calls that wait are made (the
// sessions parked while the server closed among them), or when ctx ends.
func (n *numbering) close(ctx context.Context) {
	if !n.on {
		return
	}
	n.mu.Lock()
	for _, p := range n.byPID {
		p.stop()
	}
	n.mu.Unlock()
	close(n.quit)
	select {
	case <-n.done:
	case <-ctx.Done():
	}
}

// parkedIn reports whether a page parked here is in room.
func (n *numbering) parkedIn(room string) bool { return n.on && n.parked.Has(room) }

// offset is the latest number's offset; n.mu held.
func (n *numbering) offset() string {
	return recovery.Offset{Instance: n.instance, Seq: n.seq.Load()}.String()
}

// encoder makes a message's packet, with extra as one more argument, the
// last, when extra is not "".
type encoder func(extra string) (*engine.Message, error)

// textEncoder is event with string arguments.
func textEncoder(event string, args ...string) encoder {
	return func(extra string) (*engine.Message, error) {
		if extra == "" {
			return socketio.EncodePush(event, args...), nil
		}
		return socketio.EncodePush(event, append(slices.Clip(args), extra)...), nil
	}
}

// eventEncoder is event with any arguments (another instance's).
func eventEncoder(event string, args []any) encoder {
	return func(extra string) (*engine.Message, error) {
		if extra == "" {
			return socketio.EncodeEvent("/", event, args...)
		}
		return socketio.EncodeEvent("/", event, append(slices.Clip(args), extra)...)
	}
}

// broadcast numbers the message enc makes and hands it to this
// instance's pages in rooms (all when empty) and in none of except; it
// returns how many got it. Recovering pages get it with its offset last;
// with recovery on it is also kept in the ring and for the parked pages
// it picks. Its offset is its id (the SSE pages' id too).
func (s *Server) broadcast(rooms, except []string, enc encoder) (int, error) {
	return s.broadcastHold(rooms, except, enc, nil)
}

// broadcastHold is broadcast of a push that may be held (h nil for
// none): while it is handed out, a page that refuses it keeps h.
func (s *Server) broadcastHold(rooms, except []string, enc encoder, h *adapter.Hold) (int, error) {
	n := s.rec
	var m *engine.Message
	if h != nil && h.TTL > 0 {
		var err error
		if m, err = enc(""); err != nil {
			return 0, err
		}
		hold, done := s.refusals.handing(m, h)
		defer done()
		defer s.departures.missed(s, rooms, hold)
	}
	if n.on {
		n.mu.Lock()
		defer n.mu.Unlock()
	}
	if !s.picksHere(rooms) {
		return 0, nil // nothing to encode, number, keep or hand out
	}
	if m == nil {
		var err error
		if m, err = enc(""); err != nil {
			return 0, err
		}
	}
	if !n.on {
		off := recovery.Offset{Instance: n.instance, Seq: n.seq.Add(1)}.String()
		return s.hub.Broadcast(rooms, except, m.WithID(off, nil)), nil
	}
	seq := n.seq.Load() + 1
	off := recovery.Offset{Instance: n.instance, Seq: seq}.String()
	v, err := enc(off)
	if err != nil {
		return 0, err
	}
	n.seq.Store(seq)
	got := s.hub.Broadcast(rooms, except, m.WithID(off, v))
	if !v.Binary() {
		n.ring.Add(seq, rooms, except, recovery.Entry{Offset: off, Packet: v.Text()})
		n.parked.Broadcast(rooms, except, m)
	}
	return got, nil
}

// picksHere reports whether a message to rooms (all when empty) may pick
// a page of this instance, connected or parked. A push to a uid whose
// pages are all elsewhere (half of a two-node cluster's, every offline
// one) is then neither encoded, nor numbered, nor kept in the ring: no
// page here can miss it. With recovery on, s.rec.mu is held, which
// recovering pages' joins hold too.
func (s *Server) picksHere(rooms []string) bool {
	return len(rooms) == 0 || slices.ContainsFunc(rooms, s.pageIn)
}

// pageIn reports whether a page of this instance, connected or parked, is
// in room.
func (s *Server) pageIn(room string) bool { return s.hub.Has(room) || s.rec.parkedIn(room) }

// stamped hands deliver the message enc makes with, for recovering
// pages, the latest offset last: an event that is not a broadcast (the
// counts, a login's answer) must still leave such a client holding an
// offset that pushio knows, since socket.io-client 4.6 takes the last
// string argument of any event as its offset. Its id is that offset too,
// so that an event stream's last id is always the latest push's.
func (s *Server) stamped(enc encoder, deliver func(*engine.Message)) {
	m, err := enc("")
	if err != nil {
		return
	}
	n := s.rec
	if !n.on {
		deliver(m.WithID(n.offset(), nil))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	off := n.offset()
	v, err := enc(off)
	if err != nil {
		return
	}
	deliver(m.WithID(off, v))
}

// sendTo queues an event for one page, stamped.
func (s *Server) sendTo(p Page, event string, args ...string) {
	s.stamped(textEncoder(event, args...), p.Deliver)
}

// recState is where a recovering page stands.
type recState struct {
	pid string
	m   recovery.Membership
	// prefix are the packets replayed to it when it came back, and from
	// the offset its client held then ("" for none).
	prefix []recovery.Entry
	from   string
	// gone, made by closeLive only when it waits for the page (most
	// pages never need one), is closed once the page left the hub
	// (parked or not); left says that happened. Both under numbering.mu.
	gone chan struct{}
	left bool
}

// recOf is the recovery state of a recovering page, or nil.
func recOf(p Page) *recState {
	if sp, ok := p.(sioPage); ok {
		if u, ok := sp.sock.Value.(*user); ok {
			return u.rec
		}
	}
	return nil
}

// join puts p in rooms, noting for a recovering page from which number on.
func (s *Server) join(p Page, rooms ...string) {
	rec := recOf(p)
	if rec == nil {
		s.hub.Join(p, rooms...)
		return
	}
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	s.hub.Join(p, rooms...)
	for _, r := range rooms {
		rec.m.Join(r, s.rec.seq.Load())
	}
}

// leave takes p out of rooms.
func (s *Server) leave(p Page, rooms ...string) {
	rec := recOf(p)
	if rec == nil {
		s.hub.Leave(p, rooms...)
		return
	}
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	s.hub.Leave(p, rooms...)
	for _, r := range rooms {
		rec.m.Leave(r)
	}
}
