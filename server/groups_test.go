package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/testlog"
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
	it := startIOTest(t, Options{Groups: settings.Groups{MaxPerUID: 2}})
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

	// The own memberships stop at Groups.MaxPerUID: b has g, gets h, not i.
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

// pausedPresence is a memory presence whose Join, once it has recorded the
// page and read its groups, waits for resume: the window between a
// login's read and its joining of the rooms, held open.
type pausedPresence struct {
	adapter.Presence
	read   chan struct{}
	resume chan struct{}
}

func (p *pausedPresence) Join(ctx context.Context, uid, client string, own []string) ([]string, error) {
	groups, err := p.Presence.Join(ctx, uid, client, own)
	p.read <- struct{}{}
	<-p.resume
	return groups, err
}

// TestJoinDuringLogin: a join by uid recorded after a login read the
// uid's groups (none) and before it joined their rooms puts the page in the
// group: the login joined the uid's room before its read. The window is
// held open, so the order is the same every run.
func TestJoinDuringLogin(t *testing.T) {
	p := &pausedPresence{Presence: memory.New(), read: make(chan struct{}), resume: make(chan struct{})}
	srv, err := New(Options{SocketIO: settings.SocketIO{Path: "/socket.io"}}, p, testlog.Logger())
	if err != nil {
		t.Fatal(err)
	}
	it := serveIOTest(t, srv)
	c := it.connect(t)
	c.must(c.Emit(EventLogin, "u"))
	<-p.read // no groups yet
	if err := it.JoinGroups(context.Background(), []string{"u"}, []string{"g"}); err != nil {
		t.Fatal(err)
	}
	close(p.resume)
	c.next(EventOnlineCount)
	if !it.toGroup(t, "g", "to g") {
		t.Error("the group joined during the login has no page")
	}
	c.gets("the page", "to g")
}

// TestLeaveDuringLogin: a join by uid recorded before a login's read and
// a leave of it that comes before the login joined the rooms leave the
// page out of the group; another group read then stays joined. The
// window is held open, so the order is the same every run.
func TestLeaveDuringLogin(t *testing.T) {
	p := &pausedPresence{Presence: memory.New(), read: make(chan struct{}), resume: make(chan struct{})}
	srv, err := New(Options{SocketIO: settings.SocketIO{Path: "/socket.io"}}, p, testlog.Logger())
	if err != nil {
		t.Fatal(err)
	}
	it := serveIOTest(t, srv)
	ctx := context.Background()
	for _, g := range []string{"left", "kept"} {
		if err := it.JoinGroups(ctx, []string{"u"}, []string{g}); err != nil {
			t.Fatal(err)
		}
	}
	c := it.connect(t)
	c.must(c.Emit(EventLogin, "u"))
	<-p.read // the groups are read: left and kept
	if err := it.LeaveGroups(ctx, []string{"u"}, []string{"left"}); err != nil {
		t.Fatal(err)
	}
	close(p.resume)
	c.next(EventOnlineCount)
	if it.toGroup(t, "left", "to left") {
		t.Error("the group left during the login has a page")
	}
	it.toGroup(t, "kept", "to kept")
	c.gets("the page", "to kept")
}
