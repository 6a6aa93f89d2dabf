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
// The numbers of the broadcasts to each room (everyone's under "") are
// kept in order too, so that parking a page costs what picked it, not a
// scan of the ring: ten thousand pages leaving at once must not take the
// instance's lock for seconds.
type Ring struct {
	buf           []ringEntry
	head, n       int // the oldest at head
	bytes         int
	max, maxBytes int
	dropped       uint64              // the highest number dropped
	byRoom        map[string][]uint64 // the numbers held of each room's broadcasts, oldest first
}

type ringEntry struct {
	seq           uint64
	rooms, except []string
	Entry
}

// NewRing returns an empty ring.
func NewRing(max, maxBytes int) *Ring {
	return &Ring{max: max, maxBytes: maxBytes, byRoom: make(map[string][]uint64)}
}

// everyone is the key of broadcasts to every page in Ring.byRoom (a room
// name is never empty).
var everyone = []string{""}

// roomsOf are the keys of an entry in Ring.byRoom.
func roomsOf(rooms []string) []string {
	if len(rooms) == 0 {
		return everyone
	}
	return rooms
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
	for _, room := range roomsOf(rooms) {
		r.byRoom[room] = append(r.byRoom[room], seq)
	}
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
	for _, room := range roomsOf(old.rooms) {
		// The oldest entry is first in each of its rooms' lists.
		if l := r.byRoom[room][1:]; len(l) > 0 {
			r.byRoom[room] = l
		} else {
			delete(r.byRoom, room)
		}
	}
	*old = ringEntry{}
	r.head = (r.head + 1) % len(r.buf)
	r.n--
}

// Since returns, oldest first, the newest broadcasts that picked m, at
// most limit of them, and the number after which every broadcast that
// picked m is among them: m.Base when complete, else past what was
// dropped from the ring or left out by limit.
func (r *Ring) Since(m *Membership, limit int) (picked []Entry, base uint64, complete bool) {
	// The broadcasts that may have picked m are those after its Base to
	// everyone, to its SID and to each of its rooms after it joined.
	var seqs []uint64
	after := func(room string, seq uint64) {
		l := r.byRoom[room]
		i, _ := slices.BinarySearch(l, seq+1)
		seqs = append(seqs, l[i:]...)
	}
	after("", m.Base)
	after(m.SID, m.Base)
	for _, j := range m.Rooms {
		after(j.Room, max(j.After, m.Base))
	}
	slices.Sort(seqs)
	seqs = slices.Compact(seqs)
	base = max(m.Base, r.dropped)
	for i := len(seqs) - 1; i >= 0; i-- {
		e := r.at(seqs[i])
		if !m.Picks(e.seq, e.rooms, e.except) {
			continue
		}
		if len(picked) == limit {
			base = max(base, e.seq)
			break
		}
		picked = append(picked, e.Entry)
	}
	slices.Reverse(picked)
	return picked, base, base == m.Base
}

// at is the entry numbered seq, which the ring holds.
func (r *Ring) at(seq uint64) *ringEntry {
	lo, hi := 0, r.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.buf[(r.head+mid)%len(r.buf)].seq < seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return &r.buf[(r.head+lo)%len(r.buf)]
}

// Dropped is the highest number the ring no longer holds (0: none).
func (r *Ring) Dropped() uint64 { return r.dropped }
