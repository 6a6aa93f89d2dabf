// Package presencetest drives an adapter.Presence in tests of its
// implementations: the same steps and the same checks of Reach and
// Clients for memory and Redis.
package presencetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/push"
)

// Steps turns step strings into Join and Leave calls: "+uid" joins a new
// page of uid (client ids <prefix>c1, <prefix>c2… in order), "-uid" leaves uid's oldest
// page still joined or, when none is, the one it left last (a doubled
// leave). Not safe for concurrent use.
type Steps struct {
	prefix string
	n      int
	joined map[string][]string
	left   map[string]string
}

// NewSteps starts the client ids at <prefix>c1.
func NewSteps(prefix string) *Steps {
	return &Steps{prefix: prefix, joined: make(map[string][]string), left: make(map[string]string)}
}

// Apply runs step s on p.
func (st *Steps) Apply(ctx context.Context, p adapter.Presence, s string) error {
	uid := s[1:]
	if s[0] == '+' {
		st.n++
		c := fmt.Sprintf("%sc%d", st.prefix, st.n)
		st.joined[uid] = append(st.joined[uid], c)
		_, err := p.Join(ctx, uid, c, nil)
		return err
	}
	c := st.left[uid]
	if l := st.joined[uid]; len(l) > 0 {
		c, st.joined[uid] = l[0], l[1:]
	}
	if c == "" {
		c = "never-joined"
	}
	st.left[uid] = c
	return p.Leave(ctx, uid, c, nil)
}

// CheckClients checks Reach and Clients of p for pages of other uids
// than its callers joined: two pages of uid "u1", one of "u2", one of
// "u1" that left again; and a listing of 25 pages of "many" paged by 10.
func CheckClients(t *testing.T, p adapter.Presence) {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(joinPage(ctx, p, "u1", "p1"))
	must(joinPage(ctx, p, "u1", "p2"))
	must(joinPage(ctx, p, "u2", "p3"))
	must(joinPage(ctx, p, "u1", "p4"))
	must(p.Leave(ctx, "u1", "p4", nil))
	must(p.Leave(ctx, "u2", "p1", nil)) // not u2's page: nothing changes
	r, err := p.Reach(ctx, push.Targets{UIDs: []string{"u2", "nobody", "u1"}, Clients: []string{"p4", "p1", "p3", "zz"},
		Exclude: []string{"p1"}})
	must(err)
	want := push.Reach{UIDs: []bool{true, false, true}, Clients: []bool{false, true, true, false}}
	if !slices.Equal(r.UIDs, want.UIDs) || !slices.Equal(r.Clients, want.Clients) || r.Groups != nil {
		t.Errorf("Reach = %+v, want %+v", r, want)
	}
	ids, more, err := p.Clients(ctx, "u1", "", 10)
	must(err)
	if !slices.Equal(ids, []string{"p1", "p2"}) || more {
		t.Errorf("Clients(u1) = %q, %v, want p1 p2 and no more", ids, more)
	}
	ids, more, err = p.Clients(ctx, "nobody", "", 10)
	must(err)
	if len(ids) != 0 || more {
		t.Errorf("Clients(nobody) = %q, %v, want none", ids, more)
	}
	var all []string
	for i := range 25 {
		c := fmt.Sprintf("m%02d", i)
		all = append(all, c)
		must(joinPage(ctx, p, "many", c))
	}
	var got []string
	after := ""
	for calls := 1; ; calls++ {
		ids, more, err := p.Clients(ctx, "many", after, 10)
		must(err)
		if len(ids) == 0 || len(ids) > 10 || calls > 3 {
			t.Fatalf("call %d: Clients(many, %q, 10) gave %d ids", calls, after, len(ids))
		}
		got = append(got, ids...)
		if after = ids[len(ids)-1]; !more {
			break
		}
	}
	if !slices.Equal(got, all) {
		t.Errorf("Clients(many) paged by 10 = %q, want %q", got, all)
	}
}

// joinPage records page client of uid in no group of its own.
func joinPage(ctx context.Context, p adapter.Presence, uid, client string) error {
	_, err := p.Join(ctx, uid, client, nil)
	return err
}
