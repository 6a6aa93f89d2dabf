package hub

import (
	"slices"
	"testing"
)

type setMember struct{ name string }

func (*setMember) Deliver(string) {}

// TestSet walks a room's set through one member (no map), several (a
// map) and back, checking who is in it at each step.
func TestSet(t *testing.T) {
	t.Parallel()
	a, b, c := &setMember{"a"}, &setMember{"b"}, &setMember{"c"}
	var s set[string]
	members := func() []string {
		var out []string
		s.each(func(m Member[string]) { out = append(out, m.(*setMember).name) })
		slices.Sort(out)
		return out
	}
	steps := []struct {
		op    string
		m     *setMember
		added bool
		want  []string
		inMap bool
	}{
		{"add", a, true, []string{"a"}, false},
		{"add", a, false, []string{"a"}, false},
		{"add", b, true, []string{"a", "b"}, true},
		{"add", c, true, []string{"a", "b", "c"}, true},
		{"add", b, false, []string{"a", "b", "c"}, true},
		{"remove", a, false, []string{"b", "c"}, true},
		{"remove", a, false, []string{"b", "c"}, true},
		{"remove", c, false, []string{"b"}, false},
		{"remove", c, false, []string{"b"}, false},
		{"remove", b, false, nil, false},
	}
	for i, st := range steps {
		switch st.op {
		case "add":
			if got := s.add(st.m); got != st.added {
				t.Fatalf("step %d: add(%s) = %v, want %v", i, st.m.name, got, st.added)
			}
		case "remove":
			s.remove(st.m)
		}
		if got := members(); !slices.Equal(got, st.want) {
			t.Fatalf("step %d (%s %s): members %v, want %v", i, st.op, st.m.name, got, st.want)
		}
		if (s.many != nil) != st.inMap || s.empty() != (len(st.want) == 0) {
			t.Fatalf("step %d: map %v, empty %v, with %v", i, s.many != nil, s.empty(), st.want)
		}
		for _, m := range []*setMember{a, b, c} {
			if s.has(m) != slices.Contains(st.want, m.name) {
				t.Fatalf("step %d: has(%s) = %v with %v", i, m.name, s.has(m), st.want)
			}
		}
	}
}
