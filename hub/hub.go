package hub

import (
	"sync"
)

// Member is a connection the hub delivers to. Deliver must not block: a
// member that cannot keep up deals with it itself (drops itself, say).
// Members are compared by identity: use pointer types.
type Member[M any] interface {
	Deliver(msg M)
}

// Hub is the set of members and rooms of one instance.
type Hub[M any] struct {
	mu      sync.RWMutex
	members map[Member[M]]*entry
	byID    map[string]Member[M]
	rooms   map[string]set[M]
}

// entry is what the hub knows of one member.
type entry struct {
	id    string
	rooms []string
}

// New returns an empty hub.
func New[M any]() *Hub[M] {
	return &Hub[M]{
		members: make(map[Member[M]]*entry),
		byID:    make(map[string]Member[M]),
		rooms:   make(map[string]set[M]),
	}
}

// Add registers m under id, its own room: a broadcast to the room id
// reaches m alone. Adding a member twice, or an id twice, keeps the first.
func (h *Hub[M]) Add(id string, m Member[M]) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.members[m]; ok {
		return false
	}
	if _, ok := h.byID[id]; ok {
		return false
	}
	h.members[m] = &entry{id: id}
	h.byID[id] = m
	return true
}

// Remove takes m out of every room and forgets it; it reports whether m
// was there (so a doubled removal is told apart).
func (h *Hub[M]) Remove(m Member[M]) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.members[m]
	if !ok {
		return false
	}
	for _, r := range e.rooms {
		h.unlink(m, r)
	}
	delete(h.members, m)
	delete(h.byID, e.id)
	return true
}

// Join puts a registered m in rooms; it reports whether m is registered.
func (h *Hub[M]) Join(m Member[M], rooms ...string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.members[m]
	if !ok {
		return false
	}
	for _, r := range rooms {
		s := h.rooms[r]
		if !s.add(m) {
			continue
		}
		h.rooms[r] = s
		e.rooms = append(e.rooms, r)
	}
	return true
}

// Leave takes m out of rooms.
func (h *Hub[M]) Leave(m Member[M], rooms ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.members[m]
	if !ok {
		return
	}
	for _, r := range rooms {
		if !h.rooms[r].has(m) {
			continue
		}
		h.unlink(m, r)
		for i, x := range e.rooms {
			if x == r {
				e.rooms = append(e.rooms[:i], e.rooms[i+1:]...)
				break
			}
		}
	}
}

// unlink removes m from room r's set; h.mu held.
func (h *Hub[M]) unlink(m Member[M], r string) {
	s := h.rooms[r]
	s.remove(m)
	if s.empty() {
		delete(h.rooms, r)
	} else {
		h.rooms[r] = s
	}
}

// Rooms returns the rooms m joined, its own id first.
func (h *Hub[M]) Rooms(m Member[M]) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.members[m]
	if !ok {
		return nil
	}
	return append([]string{e.id}, e.rooms...)
}

// ID returns the id m was added with.
func (h *Hub[M]) ID(m Member[M]) (string, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.members[m]
	if !ok {
		return "", false
	}
	return e.id, true
}

// Has reports whether room has a member here (a member's id counts as a
// room), so a caller can skip work for rooms nobody is in.
func (h *Hub[M]) Has(room string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	_, ok := h.rooms[room]
	if !ok {
		_, ok = h.byID[room]
	}
	return ok
}

// Len is the number of members.
func (h *Hub[M]) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.members)
}

// AllRooms lists every room that has a member, ids included.
func (h *Hub[M]) AllRooms() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	all := make([]string, 0, len(h.rooms)+len(h.byID))
	for r := range h.rooms {
		all = append(all, r)
	}
	for id := range h.byID {
		all = append(all, id)
	}
	return all
}
