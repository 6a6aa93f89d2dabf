package cluster

import (
	"net/http"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/test/clustertest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/internal/test/siotest"
	"github.com/pushio/pushio/server"
)

// clientOn is a socket and who it stands for, for failure messages.
type clientOn struct {
	who string
	c   *siotest.Client
}

func TestPushReachesUIDOnAnotherInstance(t *testing.T) {
	redistest.Each(t, testPushReachesUIDOnAnotherInstance)
}

func testPushReachesUIDOnAnotherInstance(t *testing.T, d redistest.Deployment) {
	_, nodes := clustertest.StartClusterOn(t, d, 2, 15*time.Second)
	a, b := nodes[0], nodes[1]
	alice := clustertest.Login(t, a.IO, "alice")

	clustertest.WantAnswer(t, b.API, "type=publish&to=alice&content=<hi>", "ok")
	clustertest.ReceiveOnce(t, alice, "alice on A", "&lt;hi&gt;")
	clustertest.WantAnswer(t, b.API, "type=publish&to=nobody&content=x", "offline")
	clustertest.WantAnswer(t, b.API, "type=online&uid=alice", "online")
}

func TestBroadcastReachesEveryInstanceOnce(t *testing.T) {
	redistest.Each(t, testBroadcastReachesEveryInstanceOnce)
}

func testBroadcastReachesEveryInstanceOnce(t *testing.T, d redistest.Deployment) {
	_, nodes := clustertest.StartClusterOn(t, d, 3, 15*time.Second)
	alice := []*clientOn{
		{"alice on A", clustertest.Login(t, nodes[0].IO, "alice")},
		{"alice on C", clustertest.Login(t, nodes[2].IO, "alice")},
	}
	bob := &clientOn{"bob on B", clustertest.Login(t, nodes[1].IO, "bob")}
	anon := &clientOn{"a page on C that never logged in", clustertest.Connect(t, nodes[2].IO)}

	t.Run("broadcast via A", func(t *testing.T) {
		clustertest.WantAnswer(t, nodes[0].API, "type=publish&content=all", "ok")
		for _, c := range append(alice, bob, anon) {
			clustertest.ReceiveOnce(t, c.c, c.who, "all")
		}
	})
	t.Run("uid on two instances via B", func(t *testing.T) {
		clustertest.WantAnswer(t, nodes[1].API, "type=publish&to=alice&content=for+alice", "ok")
		for _, c := range alice {
			clustertest.ReceiveOnce(t, c.c, c.who, "for alice")
		}
	})
	t.Run("several uids via C", func(t *testing.T) {
		clustertest.WantAnswer(t, nodes[2].API, "type=publish&to[]=alice&to[]=bob&content=both", "ok")
		for _, c := range append(alice, bob) {
			clustertest.ReceiveOnce(t, c.c, c.who, "both")
		}
	})
}

func TestCountsAndOfflineAreClusterWide(t *testing.T) {
	redistest.Each(t, testCountsAndOfflineAreClusterWide)
}

func testCountsAndOfflineAreClusterWide(t *testing.T, d redistest.Deployment) {
	_, nodes := clustertest.StartClusterOn(t, d, 3, 15*time.Second)
	a, b, c := nodes[0], nodes[1], nodes[2]
	aliceA := clustertest.Login(t, a.IO, "alice")
	aliceB := clustertest.Login(t, b.IO, "alice")
	bob := clustertest.Login(t, c.IO, "bob")

	clustertest.WantAnswer(t, c.API, "type=count", `{"uids":2,"pages":3}`)
	want := server.CountsHTML(adapter.Counts{UIDs: 2, Pages: 3})
	eventually.True(t, 5*time.Second, "bob sees the cluster-wide counts", func() bool {
		e, err := bob.Next(server.EventOnlineCount, 100*time.Millisecond)
		return err == nil && e.Text(0) == want
	})

	aliceA.Close()
	eventually.True(t, 5*time.Second, "count after alice closed one page", func() bool {
		_, body := clustertest.Get(t, c.API, "type=count")
		return body == `{"uids":2,"pages":2}`
	})
	clustertest.WantAnswer(t, c.API, "type=online&uid=alice", "online")

	aliceB.Close()
	eventually.True(t, 5*time.Second, "alice offline after her last page closed", func() bool {
		_, body := clustertest.Get(t, a.API, "type=online&uid=alice")
		return body == "offline"
	})
	clustertest.WantAnswer(t, a.API, "type=publish&to=alice&content=x", "offline")
}

func TestRedisOutage(t *testing.T) {
	redis, _, nodes := clustertest.StartCluster(t, 2, 2*time.Second)
	a, b := nodes[0], nodes[1]
	alice := clustertest.Login(t, a.IO, "alice")
	clustertest.WantAnswer(t, b.API, "type=publish&to=alice&content=before", "ok")
	clustertest.ReceiveOnce(t, alice, "alice", "before")

	redis.Stop()
	for _, q := range []string{"type=publish&to=alice&content=during", "type=publish&content=during", "type=online&uid=alice", "type=count"} {
		start := time.Now()
		status, body := clustertest.Get(t, b.API, q)
		if status != http.StatusServiceUnavailable || body != "fail" {
			t.Errorf("Redis down: GET ?%s = %d %q, want 503 fail", q, status, body)
		}
		t.Logf("Redis down: ?%s answered fail in %s", q, time.Since(start).Round(time.Millisecond))
	}
	if resp, err := http.Get(b.API + "/readyz"); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("Redis down: /readyz = %v, %v; want 503", resp, err)
	} else {
		resp.Body.Close()
	}
	if !alice.Connected() {
		t.Fatal("alice was disconnected by the outage")
	}

	redis.StartAgain()
	took := eventually.True(t, 10*time.Second, "a push via B reaches alice on A again", func() bool {
		status, body := clustertest.Get(t, b.API, "type=publish&to=alice&content=after")
		return status == http.StatusOK && body == "ok"
	})
	t.Logf("pushes answered ok %s after Redis came back", took.Round(time.Millisecond))
	// Pushes answered offline during the recovery were sent too: drop
	// those copies, then require exactly one copy of a fresh push.
	for _, err := alice.Next(server.EventNewMsg, 300*time.Millisecond); err == nil; _, err = alice.Next(server.EventNewMsg, 300*time.Millisecond) {
	}
	clustertest.WantAnswer(t, b.API, "type=publish&to=alice&content=resumed", "ok")
	clustertest.ReceiveOnce(t, alice, "alice", "resumed")
	clustertest.WantAnswer(t, a.API, "type=count", `{"uids":1,"pages":1}`)
}

// TestQuickRedisRestart: Redis restarts empty between two heartbeats (a
// 60 s presence TTL: one every 15 s). The instances see their next
// connection to it as the cue to re-register, so alice, on A, is online
// again for B within seconds rather than at A's next heartbeat.
func TestQuickRedisRestart(t *testing.T) {
	redis, _, nodes := clustertest.StartCluster(t, 2, time.Minute)
	a, b := nodes[0], nodes[1]
	alice := clustertest.Login(t, a.IO, "alice")
	clustertest.WantAnswer(t, b.API, "type=online&uid=alice", "online")

	redis.Restart()
	took := eventually.True(t, 5*time.Second, "alice online for B after the restart", func() bool {
		_, body := clustertest.Get(t, b.API, "type=online&uid=alice")
		return body == "online"
	})
	t.Logf("alice online again %s after Redis restarted", took.Round(time.Millisecond))
	clustertest.WantAnswer(t, b.API, "type=count", `{"uids":1,"pages":1}`)
	clustertest.WantAnswer(t, b.API, "type=publish&to=alice&content=after", "ok")
	clustertest.ReceiveOnce(t, alice, "alice", "after")
}
