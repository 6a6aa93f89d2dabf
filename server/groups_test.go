package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/push"
)

// pageID is the client id of uid's one page.
func (it *ioTest) pageID(t *testing.T, uid string) string {
	t.Helper()
	ids, _, err := it.Clients(context.Background(), uid, "", 2)
	if err != nil || len(ids) != 1 {
		t.Fatalf("the pages of %s: %q, %v", uid, ids, err)
	}
	return ids[0]
}

// toGroup pushes text to group g and returns the group's reach.
func (it *ioTest) toGroup(t *testing.T, g, text string) bool {
	t.Helper()
	reach, err := it.Send(context.Background(), []push.Request{{Message: &push.Message{Text: text}, Targets: push.Targets{Groups: []string{g}}}})
	if err != nil {
		t.Fatal(err)
	}
	return reach[0].Groups[0]
}

// gets checks that c got text (once) or, when text is "", nothing.
func (c *client) gets(who, text string) {
	c.t.Helper()
	if text != "" {
		if got := c.next(EventNewMsg); got != text {
			c.t.Fatalf("%s got %q, want %q", who, got, text)
		}
	}
	if err := c.None(EventNewMsg, 100*time.Millisecond); err != nil {
		c.t.Fatalf("%s: %v", who, err)
	}
}

// TestGroupMemberships: a page is in a group by its uid or by its own
// membership; a leave by uid keeps the own one, a leave by client id
// ends it, an ungroup ends both and lets the page join again; the counts
// count each page once; the own memberships are bounded.
func TestGroupMemberships(t *testing.T) {
	it := startIOTest(t, Options{MaxGroupsPerUID: 2})
	ctx := context.Background()
	a, b := it.connect(t), it.connect(t)
	a.login("a")
	b.login("b")
	idA, idB := it.pageID(t, "a"), it.pageID(t, "b")
	counts := func(want adapter.Counts) {
		t.Helper()
		got, err := it.GroupCounts(ctx, "g")
		if err != nil || got != want {
			t.Fatalf("counts of g = %+v, %v; want %+v", got, err, want)
		}
	}

	if err := it.JoinGroups(ctx, []string{"a"}, []string{"g"}); err != nil {
		t.Fatal(err)
	}
	if on, err := it.JoinClients(ctx, []string{idB, idA, "nobody"}, []string{"g"}); err != nil || fmt.Sprint(on) != "[true true false]" {
		t.Fatalf("JoinClients = %v, %v", on, err)
	}
	eventually(t, "b's own membership recorded", func() bool {
		c, _ := it.GroupCounts(ctx, "g")
		return c == adapter.Counts{UIDs: 2, Pages: 2}
	})
	it.toGroup(t, "g", "both")
	a.gets("a", "both")
	b.gets("b", "both")

	if err := it.LeaveGroups(ctx, []string{"a"}, []string{"g"}); err != nil {
		t.Fatal(err)
	}
	it.toGroup(t, "g", "a by its own")
	a.gets("a", "a by its own")
	b.gets("b", "a by its own")
	if _, err := it.LeaveClients(ctx, []string{idA}, []string{"g"}); err != nil {
		t.Fatal(err)
	}
	it.toGroup(t, "g", "b alone")
	a.gets("a", "")
	b.gets("b", "b alone")
	eventually(t, "a's own membership gone", func() bool {
		c, _ := it.GroupCounts(ctx, "g")
		return c == adapter.Counts{UIDs: 1, Pages: 1}
	})

	if err := it.Ungroup(ctx, []string{"g"}); err != nil {
		t.Fatal(err)
	}
	if it.toGroup(t, "g", "nobody") {
		t.Error("an ungrouped group still has a page")
	}
	b.gets("b", "")
	counts(adapter.Counts{})
	if _, err := it.JoinClients(ctx, []string{idB}, []string{"g"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b in g again", func() bool {
		c, _ := it.GroupCounts(ctx, "g")
		return c == adapter.Counts{UIDs: 1, Pages: 1}
	})
	it.toGroup(t, "g", "again")
	b.gets("b", "again")

	// The own memberships stop at MaxGroupsPerUID: b has g, gets h, not i.
	if _, err := it.JoinClients(ctx, []string{idB}, []string{"h", "i"}); err != nil {
		t.Fatal(err)
	}
	it.toGroup(t, "h", "to h")
	it.toGroup(t, "i", "to i")
	b.gets("b", "to h")

	b.Drop() // the page goes, its own memberships with it
	eventually(t, "b's memberships gone with it", func() bool {
		c, _ := it.GroupCounts(ctx, "g")
		return c == adapter.Counts{}
	})
}
