package presencetest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
)

// Pair returns two instances of one cluster's presence (the same Presence
// twice on a single node), empty.
type Pair func(t *testing.T) (a, b adapter.Presence)

// Groups runs the group tests (memberships by uid and by page, limits,
// ungroup, listings, a login after a join) on presences from pair.
func Groups(t *testing.T, pair Pair) {
	t.Run("memberships by uid reach every page", func(t *testing.T) { byUID(t, pair) })
	t.Run("memberships of pages", func(t *testing.T) { byPage(t, pair) })
	t.Run("too many groups changes nothing", func(t *testing.T) { limit(t, pair) })
	t.Run("ungroup ends every membership", func(t *testing.T) { ungroup(t, pair) })
	t.Run("uids are listed in pages", func(t *testing.T) { listing(t, pair) })
	t.Run("a login sees a join that ended before it", func(t *testing.T) { joinThenLogin(t, pair) })
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// pageIDs numbers the pages login records.
var pageIDs atomic.Int64

// login records a new page of uid on p in pageGroups and returns the
// uid's groups and the page's client id.
func login(t *testing.T, p adapter.Presence, uid string, pageGroups ...string) ([]string, string) {
	t.Helper()
	client := "page" + strconv.FormatInt(pageIDs.Add(1), 10)
	groups, err := p.Join(ctx(t), uid, client, pageGroups)
	must(t, err)
	slices.Sort(groups)
	return groups, client
}

func counts(t *testing.T, p adapter.Presence, g string, want adapter.Counts) {
	t.Helper()
	got, err := p.GroupCounts(ctx(t), g)
	must(t, err)
	if got != want {
		t.Errorf("GroupCounts(%q) = %+v, want %+v", g, got, want)
	}
}

func online(t *testing.T, p adapter.Presence, groups []string, want ...bool) {
	t.Helper()
	got, err := p.GroupOnline(ctx(t), groups)
	must(t, err)
	if !slices.Equal(got, want) {
		t.Errorf("GroupOnline(%q) = %v, want %v", groups, got, want)
	}
}

func byUID(t *testing.T, pair Pair) {
	a, b := pair(t)
	must(t, a.JoinGroups(ctx(t), []string{"u1", "u2"}, []string{"g1", "g2"}, 10))
	online(t, b, []string{"g1", "g2", "none"}, false, false, false)
	counts(t, b, "g1", adapter.Counts{})
	got, u1 := login(t, a, "u1")
	if !slices.Equal(got, []string{"g1", "g2"}) {
		t.Errorf("login of u1 read groups %q, want [g1 g2]", got)
	}
	login(t, b, "u1")
	login(t, b, "u3")
	online(t, b, []string{"g1", "g2", "none"}, true, true, false)
	counts(t, a, "g1", adapter.Counts{UIDs: 1, Pages: 2})
	must(t, b.LeaveGroups(ctx(t), []string{"u1"}, []string{"g1"}))
	counts(t, a, "g1", adapter.Counts{})
	counts(t, a, "g2", adapter.Counts{UIDs: 1, Pages: 2})
	if got, _ := login(t, b, "u1"); !slices.Equal(got, []string{"g2"}) {
		t.Errorf("after leaving g1, a login of u1 read %q, want [g2]", got)
	}
	must(t, a.Leave(ctx(t), "u1", u1, nil))
	counts(t, b, "g2", adapter.Counts{UIDs: 1, Pages: 2})
}

func byPage(t *testing.T, pair Pair) {
	a, b := pair(t)
	must(t, a.JoinGroups(ctx(t), []string{"member"}, []string{"g"}, 10))
	_, member := login(t, a, "member", "g") // a member's page in g by its token too: counted once
	_, guest := login(t, b, "guest", "g")   // in g by its token alone
	login(t, b, "guest")                    // a page of guest not in g
	login(t, a, "other")
	counts(t, a, "g", adapter.Counts{UIDs: 2, Pages: 2})
	must(t, b.PageGroups(ctx(t), "other", []string{"g"}, 1)) // joined by client id
	counts(t, a, "g", adapter.Counts{UIDs: 3, Pages: 3})
	online(t, b, []string{"g"}, true)
	must(t, b.PageGroups(ctx(t), "other", []string{"g"}, -1))
	must(t, b.PageGroups(ctx(t), "other", []string{"g"}, -1)) // twice: a no-op
	must(t, b.Leave(ctx(t), "guest", guest, []string{"g"}))
	counts(t, a, "g", adapter.Counts{UIDs: 1, Pages: 1})
	must(t, a.LeaveGroups(ctx(t), []string{"member"}, []string{"g"}))
	counts(t, b, "g", adapter.Counts{UIDs: 1, Pages: 1}) // its page's own membership stays
	must(t, a.Leave(ctx(t), "member", member, []string{"g"}))
	online(t, b, []string{"g"}, false)
}

func limit(t *testing.T, pair Pair) {
	a, b := pair(t)
	must(t, a.JoinGroups(ctx(t), []string{"u1"}, []string{"g1", "g2"}, 2))
	must(t, a.JoinGroups(ctx(t), []string{"u1"}, []string{"g2"}, 2)) // already in: no more groups
	err := b.JoinGroups(ctx(t), []string{"u2", "u1"}, []string{"g3"}, 2)
	var tooMany *adapter.TooManyGroupsError
	if !errors.As(err, &tooMany) || tooMany.UID != "u1" || tooMany.Max != 2 {
		t.Fatalf("a third group for u1 = %v, want a TooManyGroupsError naming u1", err)
	}
	if got, _ := login(t, a, "u2"); len(got) != 0 {
		t.Errorf("the refused join changed u2's groups: %q", got)
	}
	if got, _ := login(t, a, "u1"); !slices.Equal(got, []string{"g1", "g2"}) {
		t.Errorf("the refused join changed u1's groups: %q", got)
	}
	counts(t, b, "g3", adapter.Counts{})
}

func ungroup(t *testing.T, pair Pair) {
	a, b := pair(t)
	must(t, a.JoinGroups(ctx(t), []string{"u1", "u2"}, []string{"g", "keep"}, 10))
	login(t, a, "u1")
	_, u3 := login(t, b, "u3", "g")
	must(t, b.Ungroup(ctx(t), []string{"g"}))
	online(t, a, []string{"g", "keep"}, false, true)
	counts(t, a, "g", adapter.Counts{})
	if got, _ := login(t, b, "u2"); !slices.Equal(got, []string{"keep"}) {
		t.Errorf("after ungroup u2's groups are %q, want [keep]", got)
	}
	must(t, b.Leave(ctx(t), "u3", u3, []string{"g"})) // its page goes after the ungroup
	counts(t, a, "g", adapter.Counts{})
	must(t, a.JoinGroups(ctx(t), []string{"u1"}, []string{"g"}, 10)) // the name is free again
	counts(t, a, "g", adapter.Counts{UIDs: 1, Pages: 1})
}

// pages reads every page of UIDs(group) of limit, following the cursor.
func pages(t *testing.T, p adapter.Presence, group string, limit int) []string {
	t.Helper()
	var all []string
	cursor := ""
	for range 100 {
		uids, next, err := p.UIDs(ctx(t), group, cursor, limit)
		must(t, err)
		if len(uids) > limit {
			t.Fatalf("UIDs(%q, limit %d) gave %d", group, limit, len(uids))
		}
		all = append(all, uids...)
		if next == "" {
			return all
		}
		cursor = next
	}
	t.Fatal("UIDs never reached the end")
	return nil
}

func listing(t *testing.T, pair Pair) {
	a, b := pair(t)
	var everyone, members []string
	for i := range 7 {
		uid := "u" + strconv.Itoa(i)
		everyone = append(everyone, uid)
		if i%2 == 0 {
			members = append(members, uid)
		}
	}
	must(t, a.JoinGroups(ctx(t), append(slices.Clone(members), "offline"), []string{"g"}, 10))
	for i, uid := range everyone {
		if i == 5 {
			login(t, b, uid, "g") // in g by its page alone
			continue
		}
		login(t, []adapter.Presence{a, b}[i%2], uid)
	}
	for _, limit := range []int{1, 2, 3, 100} {
		if got := pages(t, b, "", limit); !slices.Equal(got, everyone) {
			t.Errorf("every uid, pages of %d: %q, want %q", limit, got, everyone)
		}
		want := append(slices.Clone(members), "u5")
		if got := pages(t, a, "g", limit); !slices.Equal(got, want) {
			t.Errorf("the uids of g, pages of %d: %q, want %q", limit, got, want)
		}
	}
	if got := pages(t, a, "none", 5); len(got) != 0 {
		t.Errorf("a group nobody is in lists %q", got)
	}
	if _, _, err := a.UIDs(ctx(t), "", "not a cursor!", 5); !errors.Is(err, adapter.ErrBadCursor) {
		t.Errorf("a made-up cursor: %v, want ErrBadCursor", err)
	}
}

// joinThenLogin: a join by uid that returned before a login began is what
// the login reads, on any instance (record first, then read).
func joinThenLogin(t *testing.T, pair Pair) {
	a, b := pair(t)
	for i := range 50 {
		uid := "racer" + strconv.Itoa(i)
		done := make(chan error, 1)
		go func() { done <- a.JoinGroups(ctx(t), []string{uid}, []string{"g"}, 10) }()
		must(t, <-done)
		if got, _ := login(t, b, uid); !slices.Equal(got, []string{"g"}) {
			t.Fatalf("login %d after the join read %q", i, got)
		}
	}
	counts(t, a, "g", adapter.Counts{UIDs: 50, Pages: 50})
}
