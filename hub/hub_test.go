package hub

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// conn is a test member that records what it got.
type conn struct {
	name string
	mu   sync.Mutex
	got  []string
}

func (c *conn) Deliver(msg string) {
	c.mu.Lock()
	c.got = append(c.got, msg)
	c.mu.Unlock()
}

func (c *conn) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.got
	c.got = nil
	return g
}

func TestBroadcast(t *testing.T) {
	h := New[string]()
	a, b, c := &conn{name: "a"}, &conn{name: "b"}, &conn{name: "c"}
	for _, m := range []*conn{a, b, c} {
		if !h.Add("id-"+m.name, m) {
			t.Fatalf("Add(%s) refused", m.name)
		}
	}
	h.Join(a, "u1", "g")
	h.Join(b, "u2", "g")
	h.Join(c, "u2")
	tests := []struct {
		name          string
		rooms, except []string
		want          []string // members that get the message
	}{
		{"everyone", nil, nil, []string{"a", "b", "c"}},
		{"one room", []string{"u2"}, nil, []string{"b", "c"}},
		{"overlapping rooms get one copy", []string{"g", "u2", "u1"}, nil, []string{"a", "b", "c"}},
		{"a member's id", []string{"id-c"}, nil, []string{"c"}},
		{"except a room", []string{"g"}, []string{"u2"}, []string{"a"}},
		{"everyone except an id", nil, []string{"id-a"}, []string{"b", "c"}},
		{"a room nobody is in", []string{"nobody"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := h.Broadcast(tt.rooms, tt.except, tt.name)
			var got []string
			for _, m := range []*conn{a, b, c} {
				msgs := m.take()
				if len(msgs) > 1 {
					t.Errorf("%s got %d copies", m.name, len(msgs))
				}
				if len(msgs) == 1 {
					got = append(got, m.name)
				}
			}
			if !slices.Equal(got, tt.want) || n != len(tt.want) {
				t.Errorf("reached %v (n=%d), want %v", got, n, tt.want)
			}
		})
	}
}

func TestMembership(t *testing.T) {
	h := New[string]()
	a, b := &conn{name: "a"}, &conn{name: "b"}
	h.Add("x", a)
	if h.Add("x", b) {
		t.Error("a second member took id x")
	}
	if h.Join(b, "r") {
		t.Error("an unregistered member joined a room")
	}
	h.Join(a, "r", "s", "r")
	if got := h.Rooms(a); !slices.Equal(got, []string{"x", "r", "s"}) {
		t.Errorf("Rooms = %v", got)
	}
	if !h.Has("r") || !h.Has("x") || h.Has("t") {
		t.Error("Has is wrong")
	}
	h.Leave(a, "r")
	if h.Has("r") || !h.Has("s") {
		t.Error("Leave did not take a out of r only")
	}
	if !h.Remove(a) || h.Remove(a) {
		t.Error("Remove should report true once")
	}
	if h.Has("s") || h.Has("x") || h.Len() != 0 {
		t.Error("a removed member left rooms behind")
	}
	if got := h.AllRooms(); len(got) != 0 {
		t.Errorf("AllRooms = %v after removal", got)
	}
}

func TestConcurrent(t *testing.T) {
	h := New[string]()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				m := &conn{}
				h.Add(fmt.Sprint(i, "-", j), m)
				h.Join(m, "room")
				h.Broadcast([]string{"room"}, nil, "x")
				h.Remove(m)
			}
		}()
	}
	wg.Wait()
	if h.Len() != 0 || h.Has("room") {
		t.Errorf("%d members left", h.Len())
	}
}

type sink struct{ n int }

func (s *sink) Deliver(int) { s.n++ }

func BenchmarkBroadcastAll10k(b *testing.B) {
	h := New[int]()
	for i := range 10_000 {
		h.Add(fmt.Sprint(i), &sink{})
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Broadcast(nil, nil, 1)
	}
}

func BenchmarkBroadcastRoom(b *testing.B) {
	h := New[int]()
	for i := range 10_000 {
		m := &sink{}
		h.Add(fmt.Sprint(i), m)
		h.Join(m, fmt.Sprint("u", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Broadcast([]string{"u42"}, nil, 1)
	}
}
