package redis

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/presencetest"
	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/push"
)

// kill stops the heartbeat without removing the presence, as SIGKILL would.
func (p *Presence) kill() {
	p.stop()
	<-p.done
}

func newTestPresence(t *testing.T, url, prefix, id string, ttl time.Duration) *Presence {
	t.Helper()
	return newObservedPresence(t, url, prefix, id, ttl, nil)
}

// newObservedPresence is newTestPresence with obs observing its client.
func newObservedPresence(t *testing.T, url, prefix, id string, ttl time.Duration, obs Observer) *Presence {
	t.Helper()
	c, err := NewClient(url, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	Observe(c, obs)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	p := NewPresence(ctx, c, PresenceOptions{Prefix: prefix, Instance: id, TTL: ttl, Timeout: time.Second})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = p.Close(ctx)
		_ = c.Close()
	})
	return p
}

// startPair starts instances a and b on d.
func startPair(t *testing.T, d redistest.Deployment, ttl time.Duration) (*Presence, *Presence) {
	t.Helper()
	prefix := redistest.Prefix(t)
	return newTestPresence(t, d.URL(), prefix, "a", ttl), newTestPresence(t, d.URL(), prefix, "b", ttl)
}

// testSteps holds each test Presence's pages (presencetest.Steps).
var testSteps sync.Map // *Presence → *presencetest.Steps

func stepsOf(p *Presence) *presencetest.Steps {
	st, _ := testSteps.LoadOrStore(p, presencetest.NewSteps(p.opts.Instance+"-"))
	return st.(*presencetest.Steps)
}

// join records one new page of p for each uid.
func join(t *testing.T, p *Presence, uids ...string) {
	t.Helper()
	for _, uid := range uids {
		call(t, func(ctx context.Context) error { return stepsOf(p).Apply(ctx, p, "+"+uid) })
	}
}

// leave removes p's oldest page of uid (presencetest.Steps).
func leave(ctx context.Context, p *Presence, uid string) error {
	return stepsOf(p).Apply(ctx, p, "-"+uid)
}

func call(t *testing.T, f func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		t.Fatal(err)
	}
}

func online(t *testing.T, p *Presence, uids ...string) []bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	got, err := p.Online(ctx, uids)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func counts(t *testing.T, p *Presence) adapter.Counts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := p.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPresenceAcrossInstances(t *testing.T) {
	redistest.Each(t, testPresenceAcrossInstances)
}

func testPresenceAcrossInstances(t *testing.T, d redistest.Deployment) {
	a, b := startPair(t, d, 15*time.Second)
	join(t, a, "u1", "u1")
	join(t, b, "u1", "u2")
	for _, p := range []*Presence{a, b} {
		if got := online(t, p, "u1", "u2", "u3"); !slices.Equal(got, []bool{true, true, false}) {
			t.Errorf("%s: online = %v, want [true true false]", p.opts.Instance, got)
		}
		if got := counts(t, p); got != (adapter.Counts{UIDs: 2, Pages: 4}) {
			t.Errorf("%s: counts = %+v, want 2 uids, 4 pages", p.opts.Instance, got)
		}
	}

	// Three leaves for two sockets: the third is a no-op.
	for range 3 {
		call(t, func(ctx context.Context) error { return leave(ctx, a, "u1") })
	}
	if got := counts(t, b); got != (adapter.Counts{UIDs: 2, Pages: 2}) {
		t.Errorf("after a's leaves: counts = %+v, want 2 uids, 2 pages", got)
	}
	if got := online(t, b, "u1"); !got[0] {
		t.Error("u1 went offline while b still holds a socket")
	}
	call(t, func(ctx context.Context) error { return leave(ctx, b, "u1") })
	if got := online(t, a, "u1"); got[0] {
		t.Error("u1 online after its last socket left")
	}

	// A clean stop removes the instance's presence at once.
	join(t, a, "u9")
	call(t, a.Close)
	if got := online(t, b, "u9", "u2"); !slices.Equal(got, []bool{false, true}) {
		t.Errorf("after a closed: online(u9, u2) = %v, want [false true]", got)
	}
	if got := counts(t, b); got != (adapter.Counts{UIDs: 1, Pages: 1}) {
		t.Errorf("after a closed: counts = %+v, want 1 uid, 1 page", got)
	}
}

func TestPresenceKilledInstanceIsReaped(t *testing.T) {
	redistest.Each(t, testPresenceKilledInstanceIsReaped)
}

func testPresenceKilledInstanceIsReaped(t *testing.T, d redistest.Deployment) {
	const ttl = time.Second
	a, b := startPair(t, d, ttl)
	join(t, a, "gone")
	join(t, b, "stays")
	if got := online(t, b, "gone"); !got[0] {
		t.Fatal("uid of a not online before the kill")
	}

	a.kill()
	took := eventually.True(t, ttl+time.Second, "killed instance's uid offline", func() bool {
		return !online(t, b, "gone")[0]
	})
	t.Logf("killed instance's uid went offline after %s (presence_ttl %s)", took.Round(time.Millisecond), ttl)
	if got := counts(t, b); got != (adapter.Counts{UIDs: 1, Pages: 1}) {
		t.Errorf("after the reaping: counts = %+v, want 1 uid, 1 page", got)
	}
}

func TestPresenceSurvivesRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	a, b := startPair(t, srv, 2*time.Second)
	join(t, a, "u1")
	join(t, b, "u2", "u2")

	t.Run("restarted empty", func(t *testing.T) {
		srv.Restart()
		took := eventually.True(t, 5*time.Second, "presence re-registered", func() bool {
			c, err := b.Counts(context.Background())
			return err == nil && c == adapter.Counts{UIDs: 2, Pages: 3}
		})
		t.Logf("presence re-registered %s after the restart", took.Round(time.Millisecond))
		if got := online(t, a, "u1", "u2"); !slices.Equal(got, []bool{true, true}) {
			t.Errorf("online = %v, want both", got)
		}
	})

	t.Run("changes while down are carried over", func(t *testing.T) {
		srv.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = leave(ctx, a, "u1") // fails or is deferred: the local map keeps it
		_ = stepsOf(a).Apply(ctx, a, "+u3")
		if _, err := a.Online(ctx, []string{"u3"}); err == nil {
			t.Error("Online answered while Redis is down")
		}
		srv.StartAgain()
		eventually.True(t, 5*time.Second, "presence re-registered", func() bool {
			c, err := b.Counts(context.Background())
			return err == nil && c == adapter.Counts{UIDs: 2, Pages: 3}
		})
		if got := online(t, b, "u1", "u2", "u3"); !slices.Equal(got, []bool{false, true, true}) {
			t.Errorf("online(u1, u2, u3) = %v, want [false true true]", got)
		}
	})
}

func TestNewClient(t *testing.T) {
	srv := redistest.Start(t)
	tests := []struct {
		name, url string
		wantErr   bool
		ping      bool
	}{
		{"tcp", srv.URL(), false, true},
		{"unix socket", "unix://" + srv.Socket(), false, true},
		{"sentinel", "redis://127.0.0.1:1/0?master_name=mymaster&addr=127.0.0.1:2", false, false},
		{"cluster", "redis://127.0.0.1:1?addr=127.0.0.1:2", false, false},
		{"tls", "rediss://127.0.0.1:1/0", false, false},
		{"bad scheme", "http://127.0.0.1:1", true, false},
		{"unknown option", srv.URL() + "?bogus=1", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.url, time.Second)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewClient(%q) error = %v, want error %v", tt.url, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer c.Close()
			if tt.ping {
				call(t, func(ctx context.Context) error { return c.Ping(ctx).Err() })
			}
		})
	}
}

// TestPresenceReRegistersAfterFailover: after a Sentinel failover the new
// primary lacks a change of instance a (as one the old primary took after
// the promotion, or never replicated). Once a's client has moved to the
// new primary, a re-registers its local map, and u1 is online again.
func TestPresenceReRegistersAfterFailover(t *testing.T) {
	s := redistest.StartSentinel(t)
	a, b := startPair(t, s, time.Minute) // no heartbeat during the test
	join(t, a, "u1")
	s.Failover(t)
	lost := goredis.NewClient(&goredis.Options{Addr: s.Primary.Addr()})
	defer lost.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	k := a.keys
	if _, err := lost.TxPipelined(ctx, func(pipe goredis.Pipeliner) error {
		pipe.HDel(ctx, k.uids, "u1")
		pipe.HDel(ctx, k.instPrefix+"a", "u1")
		pipe.HDel(ctx, k.base+"instc#a", "a-c1")
		pipe.HDel(ctx, k.clients, "a-c1")
		pipe.ZRem(ctx, k.ucPrefix+"u1", "a-c1")
		pipe.Decr(ctx, k.pages)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := online(t, b, "u1"); got[0] {
		t.Fatal("u1 still online on the new primary after its join was taken away")
	}
	online(t, a, "u1") // a's first call after the failover: its client moves
	took := eventually.True(t, 5*time.Second, "u1 online again", func() bool { return online(t, b, "u1")[0] })
	t.Logf("a re-registered %s after its client moved", took.Round(time.Millisecond))
	if got := counts(t, b); got != (adapter.Counts{UIDs: 1, Pages: 1}) {
		t.Errorf("counts = %+v, want 1 uid, 1 page", got)
	}
}

// TestPresenceClients: Reach and the paged listing of client ids, then the
// same pages seen from another instance, gone from it once their instance
// stopped (cleanly, or killed and reaped).
func TestPresenceClients(t *testing.T) {
	redistest.Each(t, testPresenceClients)
}

func testPresenceClients(t *testing.T, d redistest.Deployment) {
	a, b := startPair(t, d, 2*time.Second)
	presencetest.CheckClients(t, a)
	reach := func(p *Presence, clients ...string) []bool {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		r, err := p.Reach(ctx, push.Targets{Clients: clients})
		if err != nil {
			t.Fatal(err)
		}
		return r.Clients
	}
	if got := reach(b, "p1", "p3", "p4"); !slices.Equal(got, []bool{true, true, false}) {
		t.Errorf("b: Reach(p1 p3 p4) = %v, want [true true false]", got)
	}
	join(t, b, "u1")
	ids, _, err := a.Clients(t.Context(), "u1", "", 100)
	if err != nil || !slices.Equal(ids, []string{"b-c1", "p1", "p2"}) {
		t.Errorf("a: Clients(u1) = %q, %v, want b-c1 p1 p2", ids, err)
	}
	call(t, a.Close)
	if got := reach(b, "p1", "p3", "b-c1"); !slices.Equal(got, []bool{false, false, true}) {
		t.Errorf("after a closed: Reach(p1 p3 b-c1) = %v, want [false false true]", got)
	}
	if ids, _, err := b.Clients(t.Context(), "u1", "", 100); err != nil || !slices.Equal(ids, []string{"b-c1"}) {
		t.Errorf("after a closed: Clients(u1) = %q, %v, want b-c1", ids, err)
	}
	// A killed instance (no Close, no heartbeat) is reaped with its pages.
	c := newTestPresence(t, d.URL(), b.opts.Prefix, "c", 2*time.Second)
	join(t, c, "u7")
	c.kill()
	eventually.True(t, 5*time.Second, "c's page reaped", func() bool {
		ids, _, err := b.Clients(context.Background(), "u7", "", 10)
		return err == nil && len(ids) == 0 && !reach(b, "c-c1")[0]
	})
}

func TestGroups(t *testing.T) {
	redistest.Each(t, func(t *testing.T, d redistest.Deployment) {
		presencetest.Groups(t, func(t *testing.T) (adapter.Presence, adapter.Presence) {
			return startPair(t, d, 4*time.Second)
		})
	})
}

// TestPageGroupsFollowTheInstance: the pages' own memberships of a killed
// instance are reaped with it; those of a live one are re-registered
// after Redis restarted empty, and memberships by uid of the killed
// instance's uid stay.
func TestPageGroupsFollowTheInstance(t *testing.T) {
	srv := redistest.Start(t)
	const ttl = time.Second
	a, b := startPair(t, srv, ttl)
	groupCounts := func(g string) adapter.Counts {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c, _ := b.GroupCounts(ctx, g)
		return c
	}
	call(t, func(ctx context.Context) error { return a.JoinGroups(ctx, []string{"member"}, []string{"g"}, 10) })
	call(t, func(ctx context.Context) error { _, err := a.Join(ctx, "member", "c1", nil); return err })
	call(t, func(ctx context.Context) error { _, err := a.Join(ctx, "ga", "c2", []string{"g"}); return err })
	call(t, func(ctx context.Context) error { _, err := b.Join(ctx, "gb", "c3", []string{"g"}); return err })
	if got := groupCounts("g"); got != (adapter.Counts{UIDs: 3, Pages: 3}) {
		t.Fatalf("counts of g = %+v, want 3 uids, 3 pages", got)
	}
	a.kill()
	eventually.True(t, ttl+2*time.Second, "the killed instance's pages out of g", func() bool {
		return groupCounts("g") == adapter.Counts{UIDs: 1, Pages: 1}
	})
	srv.Restart()
	eventually.True(t, 5*time.Second, "b's page in g re-registered", func() bool {
		return groupCounts("g") == adapter.Counts{UIDs: 1, Pages: 1}
	})
	var groups []string
	call(t, func(ctx context.Context) error {
		var err error
		groups, err = b.Join(ctx, "member", "c4", nil)
		return err
	})
	if len(groups) != 0 {
		t.Errorf("a Redis restarted empty kept the groups of member: %q", groups)
	}
}
