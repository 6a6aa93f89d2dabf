// Package holdtest is the conformance suite every adapter.Holder passes:
// order, bounds, expiry, purge, and the atomicity of a login's take
// against another login and against a publish.
package holdtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
)

// New makes an empty Holder within limits for one test.
type New func(t *testing.T, limits adapter.HoldLimits) adapter.Holder

// Run runs the suite on the Holders newHolder makes.
func Run(t *testing.T, newHolder New) {
	t.Run("Order", func(t *testing.T) { testOrder(t, newHolder) })
	t.Run("OnlineNotHeld", func(t *testing.T) { testOnlineNotHeld(t, newHolder) })
	t.Run("Bounds", func(t *testing.T) { testBounds(t, newHolder) })
	t.Run("Expiry", func(t *testing.T) { testExpiry(t, newHolder) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, newHolder) })
	t.Run("Groups", func(t *testing.T) { testGroups(t, newHolder) })
	t.Run("TwoLogins", func(t *testing.T) { testTwoLogins(t, newHolder) })
	t.Run("LoginDuringPublishes", func(t *testing.T) { testLoginDuringPublishes(t, newHolder) })
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func msg(id string) adapter.Held {
	return adapter.Held{ID: id, Text: []byte(`2["new_msg","` + id + `"]`)}
}

// Hold holds msg(id) for uids and fails the test on an error.
func hold(t *testing.T, h adapter.Holder, ttl time.Duration, id string, uids ...string) ([]bool, int) {
	t.Helper()
	res, err := h.HoldOffline(ctx(t), uids, nil, msg(id), ttl)
	if err != nil {
		t.Fatal(err)
	}
	return res.Online, res.Dropped
}

// pages numbers the client ids of the logins of the tests.
var pages atomic.Int64

func page() string { return fmt.Sprintf("page%d", pages.Add(1)) }

func take(t *testing.T, h adapter.Holder, uid string) []string {
	t.Helper()
	_, held, err := h.JoinTake(ctx(t), uid, page(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(held))
	for _, m := range held {
		if want := msg(m.ID).Text; string(m.Text) != string(want) {
			t.Errorf("held %s: text %q, want %q", m.ID, m.Text, want)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

func count(t *testing.T, h adapter.Holder, uid string) int {
	t.Helper()
	n, err := h.HeldCount(ctx(t), uid)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testOrder(t *testing.T, newHolder New) {
	h := newHolder(t, adapter.HoldLimits{})
	for _, id := range []string{"m1", "m2", "m3"} {
		if online, dropped := hold(t, h, time.Minute, id, "u"); online[0] || dropped != 0 {
			t.Fatalf("hold %s: online %v dropped %d", id, online, dropped)
		}
	}
	if _, _ = hold(t, h, 0, "nottl", "u"); count(t, h, "u") != 3 {
		t.Fatalf("held %d, want 3 (a ttl of 0 holds nothing)", count(t, h, "u"))
	}
	if got := take(t, h, "u"); !slices.Equal(got, []string{"m1", "m2", "m3"}) {
		t.Fatalf("taken %v, want m1 m2 m3 in order", got)
	}
	if got := take(t, h, "u"); len(got) != 0 {
		t.Fatalf("taken again %v, want nothing", got)
	}
	if n := count(t, h, "u"); n != 0 {
		t.Fatalf("held %d after the take", n)
	}
	c, err := h.Counts(ctx(t))
	if err != nil || c != (adapter.Counts{UIDs: 1, Pages: 2}) {
		t.Fatalf("counts %+v %v, want the two logins recorded", c, err)
	}
}

func testOnlineNotHeld(t *testing.T, newHolder New) {
	h := newHolder(t, adapter.HoldLimits{})
	if _, err := h.Join(ctx(t), "on", page(), nil); err != nil {
		t.Fatal(err)
	}
	online, _ := hold(t, h, time.Minute, "m1", "on", "off")
	if !slices.Equal(online, []bool{true, false}) {
		t.Fatalf("online %v, want [true false]", online)
	}
	if count(t, h, "on") != 0 || count(t, h, "off") != 1 {
		t.Fatalf("held on=%d off=%d, want 0 and 1", count(t, h, "on"), count(t, h, "off"))
	}
}

func testBounds(t *testing.T, newHolder New) {
	size := msg("m0").Size()
	tests := []struct {
		name        string
		limits      adapter.HoldLimits
		n           int
		want        []string
		wantDropped int
	}{
		{"messages", adapter.HoldLimits{MaxMessages: 3}, 5, []string{"m2", "m3", "m4"}, 2},
		{"bytes", adapter.HoldLimits{MaxBytes: 2*size + 1}, 4, []string{"m2", "m3"}, 2},
		{"larger than max_bytes", adapter.HoldLimits{MaxBytes: size - 1}, 2, []string{}, 2},
		{"within both", adapter.HoldLimits{MaxMessages: 5, MaxBytes: 5 * size}, 5, []string{"m0", "m1", "m2", "m3", "m4"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHolder(t, tt.limits)
			dropped := 0
			for i := range tt.n {
				_, d := hold(t, h, time.Minute, fmt.Sprintf("m%d", i), "u")
				dropped += d
			}
			if dropped != tt.wantDropped {
				t.Errorf("dropped %d, want %d", dropped, tt.wantDropped)
			}
			if n := count(t, h, "u"); n != len(tt.want) {
				t.Errorf("held %d, want %d", n, len(tt.want))
			}
			if got := take(t, h, "u"); !slices.Equal(got, tt.want) {
				t.Errorf("taken %v, want %v", got, tt.want)
			}
		})
	}
}

func testExpiry(t *testing.T, newHolder New) {
	h := newHolder(t, adapter.HoldLimits{})
	short := 300 * time.Millisecond
	hold(t, h, short, "short1", "u", "gone")
	hold(t, h, time.Minute, "long", "u")
	hold(t, h, short, "short2", "u")
	if n := count(t, h, "u"); n != 3 {
		t.Fatalf("held %d, want 3", n)
	}
	time.Sleep(short + 200*time.Millisecond)
	if n := count(t, h, "u"); n != 1 {
		t.Fatalf("held %d after the short ttl, want 1", n)
	}
	if n := count(t, h, "gone"); n != 0 {
		t.Fatalf("uid whose messages all expired holds %d", n)
	}
	if got := take(t, h, "u"); !slices.Equal(got, []string{"long"}) {
		t.Fatalf("taken %v, want only the unexpired one", got)
	}
	if got := take(t, h, "gone"); len(got) != 0 {
		t.Fatalf("taken %v of an expired list", got)
	}
}

func testPurge(t *testing.T, newHolder New) {
	h := newHolder(t, adapter.HoldLimits{})
	hold(t, h, time.Minute, "m1", "u", "v")
	hold(t, h, time.Minute, "m2", "u")
	n, err := h.Purge(ctx(t), "u")
	if err != nil || n != 2 {
		t.Fatalf("purge: %d %v, want 2", n, err)
	}
	if n, err := h.Purge(ctx(t), "u"); err != nil || n != 0 {
		t.Fatalf("second purge: %d %v, want 0", n, err)
	}
	if got := take(t, h, "u"); len(got) != 0 {
		t.Fatalf("taken %v after a purge", got)
	}
	if got := take(t, h, "v"); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("other uid's: %v, want m1", got)
	}
}

// testTwoLogins: two pages of one uid log in at once; each held message
// goes to exactly one of them.
func testTwoLogins(t *testing.T, newHolder New) {
	h := newHolder(t, adapter.HoldLimits{})
	var want []string
	for i := range 50 {
		id := fmt.Sprintf("m%d", i)
		hold(t, h, time.Minute, id, "u")
		want = append(want, id)
	}
	var wg sync.WaitGroup
	got := make([][]string, 2)
	errs := make([]error, 2)
	for i := range got {
		wg.Go(func() {
			_, held, err := h.JoinTake(context.Background(), "u", page(), nil)
			errs[i] = err
			for _, m := range held {
				got[i] = append(got[i], m.ID)
			}
		})
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if all := append(slices.Clone(got[0]), got[1]...); !slices.Equal(all, want) && !slices.Equal(append(slices.Clone(got[1]), got[0]...), want) {
		t.Fatalf("the two logins took %v and %v, want all 50 once, in order, by one of them", got[0], got[1])
	}
	if len(got[0]) != 0 && len(got[1]) != 0 {
		t.Fatalf("both logins took messages: %d and %d", len(got[0]), len(got[1]))
	}
}

// testLoginDuringPublishes: a login races a stream of publishes to its
// uid; each message is either answered online (a page was there) or held
// and taken by the login, never both, never neither.
func testLoginDuringPublishes(t *testing.T, newHolder New) {
	h := newHolder(t, adapter.HoldLimits{MaxMessages: 1000, MaxBytes: 1 << 20})
	const n = 200
	onlineAt := make([]bool, n)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			res, err := h.HoldOffline(context.Background(), []string{"u"}, nil, msg(fmt.Sprintf("m%d", i)), time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			onlineAt[i] = res.Online[0]
		}
	})
	var taken []string
	wg.Go(func() {
		time.Sleep(time.Millisecond)
		_, held, err := h.JoinTake(context.Background(), "u", page(), nil)
		if err != nil {
			t.Error(err)
		}
		for _, m := range held {
			taken = append(taken, m.ID)
		}
	})
	wg.Wait()
	var want []string
	for i := range n {
		if !onlineAt[i] {
			want = append(want, fmt.Sprintf("m%d", i))
		}
	}
	if !slices.Equal(taken, want) {
		t.Fatalf("taken %v, want exactly the messages answered offline %v", taken, want)
	}
	if slices.Contains(onlineAt[:len(want)], true) {
		t.Fatalf("a message answered online before one that was held: %v", onlineAt)
	}
}

// testGroups: a push to a group is held for each of its member uids that
// has no page, once for a uid named in both, and the answer names them.
func testGroups(t *testing.T, newHolder New) {
	h := newHolder(t, adapter.HoldLimits{})
	if err := h.JoinGroups(ctx(t), []string{"m1", "m2", "m3"}, []string{"g"}, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Join(ctx(t), "m2", page(), nil); err != nil {
		t.Fatal(err)
	}
	res, err := h.HoldOffline(ctx(t), []string{"m1", "solo"}, []string{"g", "empty"}, msg("gm"), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	held := slices.Clone(res.Held)
	slices.Sort(held)
	if !slices.Equal(res.Online, []bool{false, false}) || !slices.Equal(held, []string{"m1", "m3", "solo"}) {
		t.Fatalf("online %v held %v, want [false false] and m1 m3 solo", res.Online, res.Held)
	}
	for uid, want := range map[string]int{"m1": 1, "m2": 0, "m3": 1, "solo": 1} {
		if n := count(t, h, uid); n != want {
			t.Errorf("%s holds %d, want %d", uid, n, want)
		}
	}
}
