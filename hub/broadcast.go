package hub

// Broadcast hands msg once to each member in any of rooms (every member
// when rooms is empty) that is in none of except, and returns how many got
// it. A member's id is a room of its own in both lists.
func (h *Hub[M]) Broadcast(rooms, except []string, msg M) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	h.each(rooms, except, func(m Member[M]) {
		m.Deliver(msg)
		n++
	})
	return n
}

// Members returns the members Broadcast(rooms, except, …) would reach.
func (h *Hub[M]) Members(rooms, except []string) []Member[M] {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []Member[M]
	h.each(rooms, except, func(m Member[M]) { out = append(out, m) })
	return out
}

// each calls fn once for each selected member; h.mu held.
func (h *Hub[M]) each(rooms, except []string, fn func(Member[M])) {
	skip := h.excluded(except)
	if len(rooms) == 0 {
		for m := range h.members {
			if _, no := skip[m]; !no {
				fn(m)
			}
		}
		return
	}
	if len(rooms) == 1 && len(skip) == 0 {
		h.room(rooms[0], fn)
		return
	}
	seen := make(map[Member[M]]struct{})
	for _, r := range rooms {
		h.room(r, func(m Member[M]) {
			if _, no := skip[m]; no {
				return
			}
			if _, dup := seen[m]; dup {
				return
			}
			seen[m] = struct{}{}
			fn(m)
		})
	}
}

// room calls fn for each member of room r, or for the member whose id is
// r; h.mu held.
func (h *Hub[M]) room(r string, fn func(Member[M])) {
	s := h.rooms[r]
	s.each(fn)
	if m, ok := h.byID[r]; ok && !s.has(m) {
		fn(m)
	}
}

// excluded is the set of members in any of except; h.mu held.
func (h *Hub[M]) excluded(except []string) map[Member[M]]struct{} {
	if len(except) == 0 {
		return nil
	}
	skip := make(map[Member[M]]struct{})
	for _, r := range except {
		h.room(r, func(m Member[M]) { skip[m] = struct{}{} })
	}
	return skip
}
