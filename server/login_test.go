package server

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/socketio"
)

// quiet is how long a test waits to be sure something does not arrive.
const quiet = 200 * time.Millisecond

func TestLogin(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, Options{})
	tests := []struct {
		name, arg, uid string // arg is the login argument's JSON
	}{
		{"string", `"alice"`, "alice"},
		{"non-ASCII string", `"用户"`, "用户"},
		{"integer", `123`, "123"},
		{"zero", `0`, "0"},
		{"negative", `-7`, "-7"},
		{"decimal", `1.5`, "1.5"},
		{"integral float", `100.0`, "100"},
		{"exponent", `2e3`, "2000"},
		{"longest uid", `"` + strings.Repeat("u", maxUIDBytes) + `"`, strings.Repeat("u", maxUIDBytes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ts.connect(t)
			c.must(c.Send(`42["login",` + tt.arg + `]`))
			c.next(EventOnlineCount)
			if got := ts.apiOnline(t, tt.uid); got != "online" {
				t.Errorf("after login(%s), uid %q is %s", tt.arg, tt.uid, got)
			}
			if got := ts.publish(t, tt.uid, "to "+tt.uid); got != "ok" {
				t.Errorf("publish to %q = %s, want ok", tt.uid, got)
			}
			if got := c.next(EventNewMsg); got != "to "+tt.uid {
				t.Errorf("new_msg = %q, want %q", got, "to "+tt.uid)
			}
		})
	}
}

// TestLoginIgnored sends logins the original mistreated or crashed on:
// each is ignored and the socket stays connected and can still log in.
func TestLoginIgnored(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, Options{})
	tests := []struct {
		name, frame string
		// phpUID is what the original made of it; it must not be online.
		phpUID string
	}{
		{"true", `42["login",true]`, "1"},
		{"false", `42["login",false]`, ""},
		{"null", `42["login",null]`, ""},
		{"object", `42["login",{"uid":"a"}]`, "Array"},
		{"empty object", `42["login",{}]`, "Array"},
		{"array", `42["login",["a"]]`, "Array"},
		{"no argument", `42["login"]`, ""},
		{"uid over the length limit", `42["login","` + strings.Repeat("u", maxUIDBytes+1) + `"]`, strings.Repeat("u", maxUIDBytes+1)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ts.connect(t)
			c.must(c.Send(tt.frame))
			uid := fmt.Sprintf("after-%d", i)
			// Handlers run in order: this answer comes after the bad login.
			c.login(uid)
			c.must(c.None(EventOnlineCount, quiet)) // the bad login got no answer
			if !c.Connected() {
				t.Fatal("the socket was dropped")
			}
			online, err := ts.presence.Online(t.Context(), []string{uid, tt.phpUID})
			if err != nil {
				t.Fatal(err)
			}
			if !online[0] || online[1] {
				t.Errorf("online[%q, %q] = %v, want [true false]", uid, tt.phpUID, online)
			}
		})
	}
}

func TestSecondLoginIgnored(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, Options{})
	c := ts.connect(t)
	c.login("first")
	c.must(c.Emit(EventLogin, "second"))
	c.must(c.None(EventOnlineCount, quiet))
	if got := ts.apiOnline(t, "first"); got != "online" {
		t.Errorf("first is %s, want online", got)
	}
	if got := ts.apiOnline(t, "second"); got != "offline" {
		t.Errorf("second is %s, want offline", got)
	}
	if got, want := ts.counts(t), (adapter.Counts{UIDs: 1, Pages: 1}); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
	ts.publish(t, "second", "not for you")
	ts.publish(t, "first", "for you")
	if got := c.next(EventNewMsg); got != "for you" {
		t.Errorf("new_msg = %q, want %q", got, "for you")
	}
}

// countsText is update_online_count's text, spelled out here so that a
// change to CountsHTML fails this test.
func countsText(uids, pages int) string {
	return fmt.Sprintf("当前<b>%d</b>人在线，共打开<b>%d</b>个页面", uids, pages)
}

// TestOnlineCounts ticks the counts by hand: a login is answered with the
// last broadcast figures, and a tick broadcasts only what changed, to
// every socket, logged in or not.
func TestOnlineCounts(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, Options{})
	tick := func() { ts.tickCounts(t.Context()) }

	a := ts.connect(t)
	if got := a.login("a"); got != countsText(0, 0) {
		t.Errorf("login answered %q, want the last broadcast %q", got, countsText(0, 0))
	}
	tick()
	if got := a.next(EventOnlineCount); got != countsText(1, 1) {
		t.Errorf("tick sent %q, want %q", got, countsText(1, 1))
	}
	tick()
	a.must(a.None(EventOnlineCount, quiet)) // unchanged: nothing sent

	b := ts.connect(t)
	if got := b.login("b"); got != countsText(1, 1) {
		t.Errorf("second login answered %q, want the last broadcast %q", got, countsText(1, 1))
	}
	a.must(a.None(EventOnlineCount, quiet)) // a login is answered to its socket only
	tick()
	for _, c := range []*client{a, b} {
		if got := c.next(EventOnlineCount); got != countsText(2, 2) {
			t.Errorf("tick sent %q, want %q", got, countsText(2, 2))
		}
	}

	guest := ts.connect(t) // never logs in
	tick()
	guest.must(guest.None(EventOnlineCount, quiet))
	a2 := ts.connect(t)
	if got := a2.login("a"); got != countsText(2, 2) {
		t.Errorf("login answered %q, want %q", got, countsText(2, 2))
	}
	tick()
	for _, c := range []*client{a, b, guest, a2} {
		if got := c.next(EventOnlineCount); got != countsText(2, 3) {
			t.Errorf("tick sent %q, want %q", got, countsText(2, 3))
		}
	}

	b.Drop()
	eventually(t, "b's disconnect is counted", func() bool { return ts.counts(t) == adapter.Counts{UIDs: 1, Pages: 2} })
	tick()
	for _, c := range []*client{a, guest, a2} {
		if got := c.next(EventOnlineCount); got != countsText(1, 2) {
			t.Errorf("tick sent %q, want %q", got, countsText(1, 2))
		}
	}
}

// TestOnlineCountsTicker lets the ticker run by itself.
func TestOnlineCountsTicker(t *testing.T) {
	t.Parallel()
	const interval = 50 * time.Millisecond
	ts := startPushio(t, Options{Counts: settings.Counts{Interval: interval}})
	a := ts.connect(t)
	a.login("a")
	// The login's answer may already hold 1/1 if a tick came first.
	waitCounts(t, a, countsText(1, 1))
	a.must(a.None(EventOnlineCount, 6*interval)) // unchanged: nothing more
	b := ts.connect(t)
	b.login("b")
	waitCounts(t, a, countsText(2, 2))
	waitCounts(t, b, countsText(2, 2))
}

// waitCounts reads update_online_count until it says want.
func waitCounts(t *testing.T, c *client, want string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if c.next(EventOnlineCount) == want {
			return
		}
	}
	t.Fatalf("update_online_count never said %q", want)
}

func TestTwoSocketsOneUID(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, Options{})
	tab1, tab2 := ts.connect(t), ts.connect(t)
	tab1.login("same")
	tab2.login("same")
	if got := ts.publish(t, "same", "both"); got != "ok" {
		t.Errorf("publish with two tabs open = %s, want ok", got)
	}
	for _, c := range []*client{tab1, tab2} {
		if got := c.next(EventNewMsg); got != "both" {
			t.Errorf("new_msg = %q, want both", got)
		}
	}

	tab1.Drop()
	eventually(t, "the first tab's close is counted", func() bool { return ts.counts(t).Pages == 1 })
	if got := ts.publish(t, "same", "one"); got != "ok" {
		t.Errorf("publish with one tab open = %s, want ok", got)
	}
	if got := tab2.next(EventNewMsg); got != "one" {
		t.Errorf("new_msg = %q, want one", got)
	}

	tab2.Drop()
	eventually(t, "the uid goes offline", func() bool { return ts.apiOnline(t, "same") == "offline" })
	if got := ts.publish(t, "same", "gone"); got != "offline" {
		t.Errorf("publish with no tab open = %s, want offline", got)
	}
	if got, want := ts.counts(t), (adapter.Counts{}); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
}

// socketOf finds c's socket on the server.
func (ts *testServer) socketOf(t *testing.T, c *client) *socketio.Socket {
	t.Helper()
	var found *socketio.Socket
	for _, s := range ts.sio.Sockets() {
		if s.Session().ID() == c.SID {
			found = s
		}
	}
	if found == nil {
		t.Fatalf("no socket of session %s on the server", c.SID)
	}
	return found
}

// TestLogoutIdempotent runs the disconnect accounting more than once for
// one socket, as the library sometimes does: it counts once.
func TestLogoutIdempotent(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, Options{})
	other := ts.connect(t)
	other.login("other")
	c := ts.connect(t)
	c.login("x")
	sock := ts.socketOf(t, c)
	want := adapter.Counts{UIDs: 1, Pages: 1}
	ts.logout(sock.Value.(*user))
	ts.logout(sock.Value.(*user))
	if got := ts.counts(t); got != want {
		t.Errorf("after two logouts: counts = %+v, want %+v", got, want)
	}
	if err := ts.presence.Leave(t.Context(), "x", sock.Value.(*user).page.ID(), nil); err != nil {
		t.Fatal(err)
	}
	c.Drop() // the disconnect handler logs out a third time
	eventually(t, "the socket is gone", func() bool { return len(ts.sio.Sockets()) == 1 })
	if got := ts.counts(t); got != want {
		t.Errorf("after the disconnect: counts = %+v, want %+v", got, want)
	}
	if got := ts.apiOnline(t, "x"); got != "offline" {
		t.Errorf("x is %s, want offline", got)
	}
}

func TestUID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     any
		want   string
		wantOK bool
	}{
		{"alice", "alice", true},
		{"", "", true},
		{float64(123), "123", true},
		{1.5, "1.5", true},
		{100.0, "100", true},
		{-0.25, "-0.25", true},
		{float64(1 << 40), "1099511627776", true},
		{int(7), "7", true},
		{int64(-8), "-8", true},
		{uint64(9), "9", true},
		{math.NaN(), "", false},
		{math.Inf(1), "", false},
		{true, "", false},
		{false, "", false},
		{nil, "", false},
		{map[string]any{"a": 1}, "", false},
		{[]any{"a"}, "", false},
	}
	for _, tt := range tests {
		if got, ok := UID(tt.in); got != tt.want || ok != tt.wantOK {
			t.Errorf("UID(%#v) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func FuzzUID(f *testing.F) {
	f.Add("alice", 1.5, int64(123))
	f.Add("", 100.0, int64(-1))
	f.Add("\xff", math.MaxFloat64, int64(math.MinInt64))
	f.Fuzz(func(t *testing.T, s string, x float64, n int64) {
		if got, ok := UID(s); !ok || got != s {
			t.Fatalf("UID(%q) = %q, %v", s, got, ok)
		}
		if got, ok := UID(n); !ok || got != strconv.FormatInt(n, 10) {
			t.Fatalf("UID(%d) = %q, %v", n, got, ok)
		}
		got, ok := UID(x)
		if ok != !(math.IsNaN(x) || math.IsInf(x, 0)) {
			t.Fatalf("UID(%v) ok = %v", x, ok)
		}
		if !ok {
			return
		}
		back, err := strconv.ParseFloat(got, 64)
		if err != nil || back != x {
			t.Fatalf("UID(%v) = %q, which reads back as %v (%v)", x, got, back, err)
		}
	})
}
