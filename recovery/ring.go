package recovery

import "slices"

// Membership is where one page of an instance stands in its numbering:
// it joined the instance's pages after Base, each of its Rooms after the
// number given, and its SID is a room of its own. A page is in a few
// rooms (its uid, some groups): a slice is smaller than a map.
type Membership struct {
	SID   string
	Base  uint64
	Rooms []Joined
}

// Joined is a room a page joined after the broadcast numbered After.
type Joined struct {
	Room  string
	After uint64
}

// Join notes that the page joined room after seq (once: a room joined
// already keeps its number).
func (m *Membership) Join(room string, seq uint64) {
	if !slices.ContainsFunc(m.Rooms, func(j Joined) bool { return j.Room == room }) {
		m.Rooms = append(m.Rooms, Joined{room, seq})
	}
}

// Leave notes that the page left room.
func (m *Membership) Leave(room string) {
	m.Rooms = slices.DeleteFunc(m.Rooms, func(j Joined) bool { return j.Room == room })
}

// Picks reports whether the broadcast numbered seq to rooms (everyone
// when empty), except those in except, was handed to the page.
func (m *Membership) Picks(seq uint64, rooms, except []string) bool {
	if seq <= m.Base || slices.ContainsFunc(except, m.in(seq)) {
		return false
	}
	return len(rooms) == 0 || slices.ContainsFunc(rooms, m.in(seq))
}

// in reports whether the page was in a room when seq was handed out.
func (m *Membership) in(seq uint64) func(string) bool {
	return func(r string) bool {
		if r == m.SID {
			return true
		}
		for _, j := range m.Rooms {
			if j.Room == r {
				return seq > j.After
			}
		}
		return false
	}
}

// Ring keeps an instance's latest broadcasts, at most max of them and
// maxBytes of packets, the oldest dropped first. Its buffer grows as
// broadcasts come, up to max: an instance that pushes little holds little.
type Ring struct {
	buf           []ringEntry
	head, n       int // the oldest at head
	bytes         int
	max, maxBytes int
	dropped       uint64 // the highest number dropped
}

type ringEntry struct {
	seq           uint64
	rooms, except []string
	Entry
}

// NewRing returns an empty ring.
func NewRing(max, maxBytes int) *Ring {
	return &Ring{max: max, maxBytes: maxBytes}
}

// Add records the broadcast numbered seq (higher than any before) of
// packet to rooms, except those in except; rooms and except must not
// change after.
func (r *Ring) Add(seq uint64, rooms, except []string, e Entry) {
	for r.n > 0 && (r.n == r.max || r.bytes+len(e.Packet) > r.maxBytes) {
		r.drop()
	}
	if len(e.Packet) > r.maxBytes {
		r.dropped = seq
		return
	}
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)%len(r.buf)] = ringEntry{seq: seq, rooms: rooms, except: except, Entry: e}
	r.n++
	r.bytes += len(e.Packet)
}

// grow doubles the buffer (up to max), the oldest entry first.
func (r *Ring) grow() {
	buf := make([]ringEntry, min(max(2*len(r.buf), 64), r.max))
	for i := range r.n {
		buf[i] = r.buf[(r.head+i)%len(r.buf)]
	}
	r.buf, r.head = buf, 0
}

func (r *Ring) drop() {
	old := &r.buf[r.head]
	r.dropped = old.seq
	r.bytes -= len(old.Packet)
	*old = ringEntry{}
	r.head = (r.head + 1) % len(r.buf)
	r.n--
}

// Since returns, oldest first, the broadcasts that picked m, and whether
// none that may have was dropped.
func (r *Ring) Since(m *Membership) (picked []Entry, complete bool) {
	for i := range r.n {
		e := &r.buf[(r.head+i)%len(r.buf)]
		if m.Picks(e.seq, e.rooms, e.except) {
			picked = append(picked, e.Entry)
		}
	}
	return picked, r.dropped <= m.Base
}

// Dropped is the highest number the ring no longer holds (0: none).
func (r *Ring) Dropped() uint64 { return r.dropped }
