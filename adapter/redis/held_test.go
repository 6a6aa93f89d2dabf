package redis

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/holdtest"
	"github.com/pushio/pushio/internal/test/redistest"
)

func newHolder(t *testing.T, url, prefix, id string, l adapter.HoldLimits) *Presence {
	t.Helper()
	return newPresenceWith(t, url, nil, PresenceOptions{Prefix: prefix, Instance: id, TTL: 2 * time.Second, Timeout: time.Second, Hold: l})
}

// TestHolder runs the Holder suite on each topology: on a Redis Cluster
// the scripts touch held lists of many uids, which must share the
// presence's hash slot.
func TestHolder(t *testing.T) {
	redistest.Each(t, func(t *testing.T, d redistest.Deployment) {
		holdtest.Run(t, func(t *testing.T, l adapter.HoldLimits) adapter.Holder {
			return newHolder(t, d.URL(), redistest.Prefix(t), "a", l)
		})
	})
}

// newPageID is a client id no other page of the tests has.
func newPageID() string { return "page-" + newRequestID() }

func heldIDs(t *testing.T, p *Presence, uid string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, held, err := p.JoinTake(ctx, uid, newPageID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, h := range held {
		ids = append(ids, h.ID)
	}
	return ids
}

func holdFor(t *testing.T, p *Presence, id string, uids ...string) []bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := p.HoldOffline(ctx, uids, nil, adapter.Held{ID: id, Text: []byte("x")}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return res.Online
}

// TestHeldAcrossInstances: a message held on A's publish is taken by a
// login on B, and a page on B counts as online for A's next publish.
func TestHeldAcrossInstances(t *testing.T) {
	srv := redistest.Start(t)
	prefix := redistest.Prefix(t)
	a := newHolder(t, srv.URL(), prefix, "a", adapter.HoldLimits{})
	b := newHolder(t, srv.URL(), prefix, "b", adapter.HoldLimits{})
	if got := holdFor(t, a, "m1", "u"); !slices.Equal(got, []bool{false}) {
		t.Fatalf("online %v", got)
	}
	if got := heldIDs(t, b, "u"); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("B took %v, want m1", got)
	}
	if got := holdFor(t, a, "m2", "u"); !slices.Equal(got, []bool{true}) {
		t.Fatalf("after B's login: online %v, want true", got)
	}
	if got := heldIDs(t, a, "u"); len(got) != 0 {
		t.Fatalf("held %v for an online uid", got)
	}
}

// TestHeldRedisRestart: a Redis restarted without persistence loses the
// held messages; nothing fails once it is back, and a login while Redis
// lost this instance's record still takes what is held after.
func TestHeldRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	p := newHolder(t, srv.URL(), redistest.Prefix(t), "a", adapter.HoldLimits{})
	holdFor(t, p, "lost", "u")
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := p.HoldOffline(ctx, []string{"u"}, nil, adapter.Held{ID: "m", Text: []byte("x")}, time.Minute); err == nil {
		t.Fatal("held while Redis is down")
	}
	if _, _, err := p.JoinTake(ctx, "w", newPageID(), nil); err == nil {
		t.Fatal("took while Redis is down")
	}
	srv.StartAgain()
	eventually.True(t, 5*time.Second, "Redis answers", func() bool {
		_, err := p.HeldCount(context.Background(), "u")
		return err == nil
	})
	if n, _ := p.HeldCount(context.Background(), "u"); n != 0 {
		t.Fatalf("held %d after a restart without persistence", n)
	}
	holdFor(t, p, "after", "u")
	if got := heldIDs(t, p, "u"); !slices.Equal(got, []string{"after"}) {
		t.Fatalf("took %v, want the message held after the restart", got)
	}
	eventually.True(t, 5*time.Second, "presence re-registered", func() bool {
		got, err := p.Online(context.Background(), []string{"u", "w"})
		return err == nil && slices.Equal(got, []bool{true, true})
	})
}

func TestHeldIDWithBar(t *testing.T) {
	srv := redistest.Start(t)
	p := newHolder(t, srv.URL(), redistest.Prefix(t), "a", adapter.HoldLimits{})
	_, err := p.HoldOffline(context.Background(), []string{"u"}, nil, adapter.Held{ID: "a|b", Text: []byte("x")}, time.Minute)
	if !errors.Is(err, errHeldID) {
		t.Fatalf("err %v, want errHeldID", err)
	}
}
