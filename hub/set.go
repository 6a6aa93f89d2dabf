package hub

// set is the members of one room. Most rooms hold one member (a uid with
// one page open, a page's own group): that one is kept without a map,
// which would cost ~200 bytes a room. A set is a value: callers store it
// back after a change.
type set[M any] struct {
	one  Member[M]              // the member, when it is the only one
	many map[Member[M]]struct{} // the members, when there are more
}

// add puts m in s and reports whether it was not there.
func (s *set[M]) add(m Member[M]) bool {
	switch {
	case s.many != nil:
		if _, in := s.many[m]; in {
			return false
		}
		s.many[m] = struct{}{}
	case s.one == nil:
		s.one = m
	case s.one == m:
		return false
	default:
		s.many = map[Member[M]]struct{}{s.one: {}, m: {}}
		s.one = nil
	}
	return true
}

// has reports whether m is in s.
func (s set[M]) has(m Member[M]) bool {
	if s.many != nil {
		_, in := s.many[m]
		return in
	}
	return s.one != nil && s.one == m
}

// remove takes m out of s; a set left with one member keeps it alone.
func (s *set[M]) remove(m Member[M]) {
	if s.many == nil {
		if s.one == m {
			s.one = nil
		}
		return
	}
	delete(s.many, m)
	if len(s.many) == 1 {
		for last := range s.many {
			s.one = last
		}
		s.many = nil
	}
}

// empty reports whether s has no member.
func (s set[M]) empty() bool { return s.one == nil && len(s.many) == 0 }

// each calls fn for each member of s.
func (s set[M]) each(fn func(Member[M])) {
	if s.one != nil {
		fn(s.one)
	}
	for m := range s.many {
		fn(m)
	}
}
