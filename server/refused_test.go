package server

import (
	"strconv"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/metricstest"
	"github.com/pushio/pushio/internal/test/testlog"
)

// refusingPage is a page whose connection is closing: it takes nothing
// and says so, as a Socket.IO or plain page does when its transport
// refuses a message.
type refusingPage struct {
	recordingPage
	u *user
}

func (p *refusingPage) Deliver(m *engine.Message) { p.u.refused(m) }

// newLeavingServer is a server on presence, with m (nil for none), closed
// when t ends.
func newLeavingServer(t *testing.T, presence adapter.Presence, m *metrics.Metrics) *Server {
	t.Helper()
	s, err := New(Options{Counts: settings.Counts{Interval: manualCounts}, Metrics: m}, presence, testlog.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(t.Context()) })
	return s
}

// refusingLogin logs in to s, as uid, a page with id whose connection is
// closing.
func refusingLogin(s *Server, id, uid string) (*user, *refusingPage) {
	page := &refusingPage{recordingPage: recordingPage{id: id}}
	u := &user{page: page, refusals: &s.refusals}
	page.u = u
	s.hub.Add(page.ID(), page)
	s.logIn(u, uid, nil, true)
	return u, page
}

// sendHeld hands s's pages in uid's room a push that h holds.
func sendHeld(t *testing.T, s *Server, uid string, h *adapter.Hold) {
	t.Helper()
	if _, err := s.broadcastHeld([]string{uid}, nil, heldEncoder(heldPush(h.Held.ID).Text), h); err != nil {
		t.Fatal(err)
	}
}

// pushReadAt sends a push of this instance's whose reach, read at read,
// found uid online (the presence still counted its page), as Send hands
// it.
func pushReadAt(t *testing.T, s *Server, uid, id string, ttl time.Duration, read time.Time) {
	t.Helper()
	sendHeld(t, s, uid, &adapter.Hold{Held: heldPush(id), TTL: ttl, Result: adapter.HoldResult{Online: []bool{true}}, Read: read})
}

// TestLeavingPageKeepsMissedPushes: a push with a ttl that the presence
// found online but that the uid's only page here missed — refused by its
// closing connection, or arriving after the page left the hub, or (this
// instance's) just after its logout — is held for the uid once the page
// has logged out, and given to the next login once; a push without a ttl
// is not, nor is one held already.
func TestLeavingPageKeepsMissedPushes(t *testing.T) {
	t.Parallel()
	presence := memory.New()
	s := newLeavingServer(t, presence, nil)
	held := func(uid string) int {
		n, err := presence.HeldCount(t.Context(), uid)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	send := func(uid string, h *adapter.Hold) { sendHeld(t, s, uid, h) }
	pushRead := func(uid, id string, ttl time.Duration, read time.Time) { pushReadAt(t, s, uid, id, ttl, read) }
	push := func(uid, id string, ttl time.Duration) { pushRead(uid, id, ttl, time.Now()) }
	u, page := refusingLogin(s, "p1", "alice")
	push("alice", "refused", time.Minute) // its connection is closing
	push("alice", "no ttl", 0)
	s.departures.leaving(u) // it disconnects: out of the hub, logout to come
	s.hub.Remove(page)
	push("alice", "after the hub", time.Minute)
	if n := held("alice"); n != 0 {
		t.Fatalf("held before the page logged out: %d, want 0 (the presence still counts it)", n)
	}
	beforeLogout := time.Now()
	s.logout(u)
	if n := held("alice"); n != 2 {
		t.Fatalf("held after the logout: %d, want 2 (the refused push and the one after the hub)", n)
	}
	// After the logout: one whose reach held it already, one whose
	// reach was read after the logout (it counted another page of
	// alice's, elsewhere, which got it; of this instance's or another's)
	// and another instance's without a read time (a Node emitter's) are
	// not held again; one whose reach was read before the logout is, of
	// this instance's and of another's (its read time on the wire).
	send("alice", &adapter.Hold{Held: heldPush("held by its reach"), TTL: time.Minute, Result: adapter.HoldResult{Online: []bool{false}, Held: []string{"alice"}}, Read: beforeLogout})
	send("alice", &adapter.Hold{Held: adapter.Held{ID: "remote, no read time"}, TTL: time.Minute})
	push("alice", "read after the logout", time.Minute)
	send("alice", &adapter.Hold{Held: adapter.Held{ID: "remote, read after"}, TTL: time.Minute, Read: time.Now()})
	pushRead("alice", "late", time.Minute, beforeLogout)
	eventually(t, "the late push held", func() bool { return held("alice") == 3 })
	send("alice", &adapter.Hold{Held: adapter.Held{ID: "remote late"}, TTL: time.Minute, Read: beforeLogout})
	eventually(t, "the late remote push held", func() bool { return held("alice") == 4 })
	push("bob", "never here", time.Minute) // no page of bob's ever left here
	if n := held("bob"); n != 0 {
		t.Errorf("bob: %d held by a page that was never his", n)
	}

	next := &recordingPage{id: "p2"}
	s.hub.Add(next.ID(), next)
	s.logIn(&user{page: next, refusals: &s.refusals}, "alice", nil, true)
	got := next.texts()
	want := []string{string(heldPush("refused").Text), string(heldPush("after the hub").Text), string(heldPush("late").Text), string(heldPush("remote late").Text)}
	if len(got) < len(want) {
		t.Fatalf("the next login got %q, want %q then the counts", got, want)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("the next login's message %d = %s, want %s", i, got[i], w)
		}
	}
}

// TestLeavingPageHoldsCounted: the pushes a leaving page missed and that
// are held for its uid at its logout, or just after it, count in
// pushio_held_total, and those the bounds then drop in
// pushio_held_dropped_total, as the holds of a publish do.
func TestLeavingPageHoldsCounted(t *testing.T) {
	t.Parallel()
	m := metrics.New("test")
	s := newLeavingServer(t, memory.NewLimited(adapter.HoldLimits{MaxMessages: 1}), m)
	counters := func() (held, dropped float64) {
		f := metricstest.Scrape(t, m.Handler())
		return f.Value("pushio_held_total"), f.Value("pushio_held_dropped_total")
	}
	u, _ := refusingLogin(s, "p1", "alice")
	pushReadAt(t, s, "alice", "first", time.Minute, time.Now())
	pushReadAt(t, s, "alice", "second", time.Minute, time.Now()) // drops the first: one message per uid
	s.departures.leaving(u)
	s.hub.Remove(u.page)
	beforeLogout := time.Now()
	s.logout(u)
	if held, dropped := counters(); held != 2 || dropped != 1 {
		t.Fatalf("after the logout: held %v, dropped %v; want 2 and 1", held, dropped)
	}
	pushReadAt(t, s, "alice", "late", time.Minute, beforeLogout) // drops the second
	eventually(t, "the late push counted", func() bool {
		held, dropped := counters()
		return held == 3 && dropped == 2
	})
}

// BenchmarkDeparturesDone: pages of distinct uids leaving one after the
// other (10,000 pages closing at once) cost the same each, however many
// left a moment before.
func BenchmarkDeparturesDone(b *testing.B) {
	b.ReportAllocs()
	var d departures
	uids := make([]string, b.N)
	for i := range uids {
		uids[i] = "u" + strconv.Itoa(i)
	}
	b.ResetTimer()
	for i := range b.N {
		u := &user{uid: uids[i], state: loggedIn}
		d.leaving(u)
		d.done(u, uids[i])
	}
}

// TestFanoutReadsPushesToLeavingPages: the fan-out decodes another
// instance's broadcast only for rooms this instance Has; a uid whose page
// here is leaving, or left less than leftWindow ago, is one of them, so
// that a push read before that logout reaches departures.missed rather
// than being skipped unread (it was: one push in 3,000 lost in the bench's
// two-node reload run).
func TestFanoutReadsPushesToLeavingPages(t *testing.T) {
	t.Parallel()
	s := newLeavingServer(t, memory.New(), nil)
	l := local{s}
	u, page := refusingLogin(s, "p1", "alice")
	if !l.Has("alice") || l.Has("bob") {
		t.Fatalf("logged in: Has(alice) %v, Has(bob) %v; want true, false", l.Has("alice"), l.Has("bob"))
	}
	s.departures.leaving(u)
	s.hub.Remove(page)
	if !l.Has("alice") {
		t.Error("alice's page leaving (out of the hub, its logout to come): Has(alice) false")
	}
	s.logout(u)
	if !l.Has("alice") {
		t.Error("alice's page just logged out: Has(alice) false")
	}
	eventually(t, "alice forgotten after leftWindow", func() bool { return !l.Has("alice") })
	if l.Has("bob") {
		t.Error("Has(bob), who was never here")
	}
}
