package server

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/testlog"
	"github.com/pushio/pushio/socketio"
)

// recordingPage is a Page that keeps what it is handed.
type recordingPage struct {
	id  string
	mu  sync.Mutex
	got []string
}

func (p *recordingPage) ID() string { return p.id }
func (p *recordingPage) Deliver(m *engine.Message) {
	p.mu.Lock()
	p.got = append(p.got, string(m.Text()))
	p.mu.Unlock()
}
func (p *recordingPage) LoginError(string)         {}
func (p *recordingPage) Close()                    {}
func (p *recordingPage) Info() (string, time.Time) { return "", time.Time{} }
func (p *recordingPage) texts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

func heldPush(id string) adapter.Held {
	return adapter.Held{ID: id, Text: socketio.EncodePush(EventNewMsg, id).Text()}
}

// TestLandingGivesEachPushOnce plays a login's take against pushes that
// reach the page live, in each order the take and a push can come in: the
// page gets every push once.
func TestLandingGivesEachPushOnce(t *testing.T) {
	s, err := New(Options{Counts: settings.Counts{Interval: manualCounts}}, memory.New(), testlog.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(t.Context()) })
	page := &recordingPage{id: "p1"}
	s.hub.Add(page.ID(), page)
	send := func(id string) {
		if _, err := s.broadcastHeld([]string{"u"}, nil, heldEncoder(heldPush(id).Text), &adapter.Hold{Held: heldPush(id)}); err != nil {
			t.Fatal(err)
		}
	}

	send("before") // the page is not in the room yet: held only
	l := s.landings.open(page, func() { s.hub.Join(page, "u") })
	send("live") // held by its publish, and live: the page has it
	held := l.keep([]adapter.Held{heldPush("before"), heldPush("live"), heldPush("late")})
	if ids := []string{held[0].ID, held[1].ID}; len(held) != 2 || !slices.Equal(ids, []string{"before", "late"}) {
		t.Fatalf("kept %v, want before and late (live was had)", held)
	}
	s.deliverHeld(page, held)
	send("late") // the live copy of a held message, after the take
	send("new")  // a push that was never held
	s.landings.close(l)
	send("after")
	want := []string{}
	for _, id := range []string{"live", "before", "late", "new", "after"} {
		want = append(want, string(heldPush(id).Text))
	}
	if got := page.texts(); !slices.Equal(got, want) {
		t.Fatalf("page got\n%q\nwant\n%q", got, want)
	}
	if len(s.landings.all) != 0 {
		t.Fatalf("landings left open: %v", s.landings.all)
	}
}

// TestLandingFollowsRooms: a landing sees only the pushes that reach its
// page (by any of its rooms, not one that leaves it out), and spares it
// the live copy of a held message sent to a group it is in.
func TestLandingFollowsRooms(t *testing.T) {
	s, err := New(Options{Counts: settings.Counts{Interval: manualCounts}}, memory.New(), testlog.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(t.Context()) })
	page := &recordingPage{id: "p1"}
	s.hub.Add(page.ID(), page)
	l := s.landings.open(page, func() { s.hub.Join(page, "u", "group-room") })
	send := func(rooms, except []string, id string) {
		if _, err := s.broadcastHeld(rooms, except, heldEncoder(heldPush(id).Text), &adapter.Hold{Held: heldPush(id)}); err != nil {
			t.Fatal(err)
		}
	}
	send([]string{"elsewhere"}, nil, "other")     // not the page's: not seen
	send([]string{"u"}, []string{"p1"}, "spared") // the page left out: not seen
	send([]string{"group-room"}, nil, "in-group") // seen through the group
	kept := l.keep([]adapter.Held{heldPush("other"), heldPush("spared"), heldPush("in-group"), heldPush("g")})
	var ids []string
	for _, h := range kept {
		ids = append(ids, h.ID)
	}
	if !slices.Equal(ids, []string{"other", "spared", "g"}) {
		t.Fatalf("kept %v, want other, spared and g", ids)
	}
	send([]string{"group-room"}, nil, "g") // the live copy of a held one
	s.landings.close(l)
	if got, want := page.texts(), []string{string(heldPush("in-group").Text)}; !slices.Equal(got, want) {
		t.Fatalf("page got %q, want %q", got, want)
	}
}
