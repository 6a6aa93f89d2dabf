package recovery

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestParseOffset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"abc:12", true},
		{"abc:0", true},
		{"", false},
		{":12", false},
		{"abc", false},
		{"abc:", false},
		{"abc:-1", false},
		{"abc:1x", false},
		{"abc:99999999999999999999999", false},
		{strings.Repeat("a", 80) + ":1", false},
		{"当前:1", true}, // a stranger's instance: parsed, then matched against none
	}
	for _, tt := range tests {
		o, ok := ParseOffset(tt.in)
		if ok != tt.ok {
			t.Errorf("ParseOffset(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
		if ok && o.String() != tt.in {
			t.Errorf("ParseOffset(%q).String() = %q", tt.in, o.String())
		}
	}
}

func TestValidPID(t *testing.T) {
	t.Parallel()
	if p := NewPID(); !ValidPID(p) {
		t.Errorf("NewPID() = %q is not valid", p)
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 21), "aaaaaaaaaaaaaaaaaaa}", "aaaaaaaaa{aaaaaaaaaa", "aaaaaaaaaaaaaaaaaaa "} {
		if ValidPID(bad) {
			t.Errorf("ValidPID(%q) = true", bad)
		}
	}
}

func TestMembershipPicks(t *testing.T) {
	t.Parallel()
	m := &Membership{SID: "s1", Base: 10}
	m.Join("alice", 12)
	m.Join("g", 10)
	m.Join("alice", 30) // joined already: keeps 12
	m.Join("gone", 10)
	m.Leave("gone")
	tests := []struct {
		name          string
		seq           uint64
		rooms, except []string
		want          bool
	}{
		{"a broadcast after joining", 11, nil, nil, true},
		{"a broadcast before joining", 10, nil, nil, false},
		{"its uid after login", 13, []string{"alice"}, nil, true},
		{"its uid before login", 12, []string{"alice"}, nil, false},
		{"its own id", 11, []string{"s1"}, nil, true},
		{"another room", 20, []string{"bob"}, nil, false},
		{"a room it left", 20, []string{"gone"}, nil, false},
		{"one of several rooms", 20, []string{"bob", "g"}, nil, true},
		{"excluded by its uid", 20, nil, []string{"alice"}, false},
		{"excluded by a room it joined later", 11, nil, []string{"alice"}, true},
		{"excluded by its id", 20, []string{"g"}, []string{"s1"}, false},
	}
	for _, tt := range tests {
		if got := m.Picks(tt.seq, tt.rooms, tt.except); got != tt.want {
			t.Errorf("%s: Picks = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func ringEntryAt(seq uint64) Entry {
	off := Offset{"i", seq}.String()
	return Entry{Offset: off, Packet: fmt.Appendf(nil, `2["new_msg","%d","%s"]`, seq, off)}
}

func offsets(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Offset)
	}
	return out
}

func TestRing(t *testing.T) {
	t.Parallel()
	r := NewRing(4, 1<<20)
	m := &Membership{SID: "s", Base: 1, Rooms: []Joined{{"u", 1}}}
	r.Add(1, nil, nil, ringEntryAt(1))           // before it joined
	r.Add(2, []string{"u"}, nil, ringEntryAt(2)) // to it
	r.Add(3, []string{"v"}, nil, ringEntryAt(3)) // to another
	r.Add(4, nil, nil, ringEntryAt(4))           // to all
	got, _, complete := r.Since(m, 1000)
	if !complete || !slices.Equal(offsets(got), []string{"i:2", "i:4"}) {
		t.Fatalf("Since = %v %v, want [i:2 i:4] true", offsets(got), complete)
	}
	r.Add(5, nil, nil, ringEntryAt(5)) // drops 1: it joined after, still complete
	if _, _, complete := r.Since(m, 1000); !complete {
		t.Fatal("dropping what came before the page made it incomplete")
	}
	r.Add(6, nil, nil, ringEntryAt(6)) // drops 2, which was its
	got, _, complete = r.Since(m, 1000)
	if complete || !slices.Equal(offsets(got), []string{"i:4", "i:5", "i:6"}) || r.Dropped() != 2 {
		t.Fatalf("after a drop: Since = %v %v (dropped %d), want [i:4 i:5 i:6] false 2", offsets(got), complete, r.Dropped())
	}
	b := NewRing(100, 60)
	b.Add(1, nil, nil, ringEntryAt(1)) // ~25 bytes each
	b.Add(2, nil, nil, ringEntryAt(2))
	b.Add(3, nil, nil, ringEntryAt(3))
	if got, _, _ := b.Since(&Membership{}, 1000); !slices.Equal(offsets(got), []string{"i:2", "i:3"}) || b.Dropped() != 1 {
		t.Fatalf("byte bound: %v, dropped %d", offsets(got), b.Dropped())
	}
	b.Add(4, nil, nil, Entry{Offset: "i:4", Packet: make([]byte, 61)})
	if got, _, _ := b.Since(&Membership{}, 1000); len(got) != 0 || b.Dropped() != 4 {
		t.Fatalf("an entry over the byte bound: %v kept, dropped %d", offsets(got), b.Dropped())
	}
}

// The ring's buffer grows as broadcasts come, keeping their order across
// its wrap and its growth, and never holds more than max.
func TestRingGrows(t *testing.T) {
	t.Parallel()
	const max = 150
	r := NewRing(max, 1<<20)
	for seq := uint64(1); seq <= 400; seq++ {
		r.Add(seq, nil, nil, ringEntryAt(seq))
		got, _, _ := r.Since(&Membership{}, max)
		first := uint64(1)
		if seq > max {
			first = seq - max + 1
		}
		if len(got) != int(seq-first+1) {
			t.Fatalf("after %d: %d entries, want %d", seq, len(got), seq-first+1)
		}
		for i, e := range got {
			if want := ringEntryAt(first + uint64(i)).Offset; e.Offset != want {
				t.Fatalf("after %d: entry %d is %s, want %s", seq, i, e.Offset, want)
			}
		}
		if len(r.buf) > max {
			t.Fatalf("after %d: a buffer of %d, over the %d kept", seq, len(r.buf), max)
		}
	}
	if small := NewRing(max, 1<<20); len(small.buf) != 0 {
		t.Errorf("an empty ring holds a buffer of %d", len(small.buf))
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	// A page restored on instance a with two replayed entries of b, then
	// given a:5 and a:7 on a (it joined a after a:4).
	entries := []Entry{{Offset: "b:8"}, {Offset: "b:9"}, {Offset: "a:5"}, {Offset: "a:7"}}
	s := Session{From: "b:7", Complete: true, Instance: "a", Base: 4}
	tests := []struct {
		name, offset string
		want         []string
		ok           bool
	}{
		{"read nothing", "b:7", []string{"b:8", "b:9", "a:5", "a:7"}, true},
		{"read a replayed one", "b:8", []string{"b:9", "a:5", "a:7"}, true},
		{"read all replayed", "b:9", []string{"a:5", "a:7"}, true},
		{"read one of a", "a:5", []string{"a:7"}, true},
		{"read all", "a:7", nil, true},
		{"a count's offset between", "a:6", []string{"a:7"}, true},
		{"a count's offset at joining", "a:4", []string{"a:5", "a:7"}, true},
		{"a count's offset before joining", "a:3", nil, false},
		{"another instance's", "c:100", nil, false},
		{"garbage", "<b>1</b>", nil, false},
		{"none", "", nil, false},
	}
	for _, tt := range tests {
		got, ok := Replay(s, entries, tt.offset)
		if ok != tt.ok || !slices.Equal(offsets(got), tt.want) {
			t.Errorf("%s: Replay(%q) = %v %v, want %v %v", tt.name, tt.offset, offsets(got), ok, tt.want, tt.ok)
		}
	}
	// Incomplete: only a's own numbering from Base on is trusted.
	s.Complete, s.Base = false, 6
	if _, ok := Replay(s, entries, "b:8"); ok {
		t.Error("incomplete: a replayed offset was trusted")
	}
	if got, ok := Replay(s, entries, "a:6"); !ok || !slices.Equal(offsets(got), []string{"a:7"}) {
		t.Errorf("incomplete: Replay(a:6) = %v %v", offsets(got), ok)
	}
	// A fresh page that read nothing: its client sends no offset.
	if got, ok := Replay(Session{From: "", Complete: true, Instance: "a"}, entries[2:], ""); !ok || len(got) != 2 {
		t.Errorf("no offset, nothing read: %v %v", offsets(got), ok)
	}
}

// TestRingSinceIndexed checks Since, which reads the rooms' lists, against
// a scan of every entry the ring holds, over random broadcasts (to
// everyone, rooms, a page's SID, with exceptions), drops and memberships.
func TestRingSinceIndexed(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"s1", "s2", "u1", "u2", "g1", "g2"}
	pick := func(k int) []string {
		var out []string
		for range k {
			out = append(out, names[rng.IntN(len(names))])
		}
		return out
	}
	for round := range 200 {
		r := NewRing(1+rng.IntN(40), 200+rng.IntN(2000))
		var seq uint64
		for range rng.IntN(120) {
			seq += 1 + uint64(rng.IntN(2)) // binary broadcasts are numbered, not kept
			r.Add(seq, pick(rng.IntN(3)), pick(rng.IntN(2)), ringEntryAt(seq))
		}
		m := &Membership{SID: names[rng.IntN(2)], Base: uint64(rng.IntN(int(seq) + 1))}
		for _, room := range pick(rng.IntN(4)) {
			m.Join(room, uint64(rng.IntN(int(seq)+1)))
		}
		var all []string
		var seqs []uint64
		for i := range r.n {
			if e := &r.buf[(r.head+i)%len(r.buf)]; m.Picks(e.seq, e.rooms, e.except) {
				all, seqs = append(all, e.Offset), append(seqs, e.seq)
			}
		}
		limit := 1 + rng.IntN(30)
		want, wantBase := all, max(m.Base, r.Dropped())
		if len(all) > limit {
			want, wantBase = all[len(all)-limit:], max(wantBase, seqs[len(all)-limit-1])
		}
		got, base, complete := r.Since(m, limit)
		if !slices.Equal(offsets(got), want) || base != wantBase || complete != (wantBase == m.Base) {
			t.Fatalf("round %d: Since(%+v, %d) = %v %d %v, want %v %d (dropped %d)", round, m, limit, offsets(got), base, complete, want, wantBase, r.Dropped())
		}
	}
}

// BenchmarkRingAdd is the cost a broadcast adds with recovery on.
func BenchmarkRingAdd(b *testing.B) {
	r := NewRing(65536, 16<<20)
	rooms := []string{"alice"}
	e := ringEntryAt(1)
	b.ReportAllocs()
	for i := range b.N {
		r.Add(uint64(i+1), rooms, nil, e)
	}
}

// BenchmarkRingSince is the cost of parking a page in a full ring: what
// picked it (none, one broadcast in a hundred, every one in ten to
// everyone), not the ring's size.
func BenchmarkRingSince(b *testing.B) {
	for _, bc := range []struct {
		name  string
		rooms func(i int) []string
	}{
		{"others", func(i int) []string { return []string{fmt.Sprint("u", i%10000)} }},
		{"one_in_100", func(i int) []string { return []string{fmt.Sprint("u", i%100)} }},
		{"everyone_1_in_10", func(i int) []string {
			if i%10 == 0 {
				return nil
			}
			return []string{fmt.Sprint("u", i%10000)}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := NewRing(65536, 16<<20)
			for i := range 65536 {
				r.Add(uint64(i+1), bc.rooms(i), nil, ringEntryAt(uint64(i+1)))
			}
			m := &Membership{SID: "s", Base: 1, Rooms: []Joined{{"u1", 1}}}
			b.ReportAllocs()
			for range b.N {
				r.Since(m, 1000)
			}
		})
	}
}
