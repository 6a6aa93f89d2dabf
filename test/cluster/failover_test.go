package cluster

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/clustertest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/internal/test/siotest"
	"github.com/pushio/pushio/server"
)

// TestSentinelFailover: two instances on a Sentinel-watched primary, a
// page on each; the sentinels promote the replica. Within seconds pushes
// through either instance reach the page on the other again, and presence
// is what it was: the replica had it all.
func TestSentinelFailover(t *testing.T) {
	s := redistest.StartSentinel(t)
	_, nodes := clustertest.StartClusterOn(t, s, 2, 15*time.Second)
	a, b := nodes[0], nodes[1]
	alice := clustertest.Login(t, a.IO, "alice")
	bob := clustertest.Login(t, b.IO, "bob")
	clustertest.WantAnswer(t, a.API, "type=publish&to=bob&content=before", "ok")
	clustertest.ReceiveOnce(t, bob, "bob on B", "before")

	// Pushes go on during the switch, as a backend's would.
	ctx, stop := context.WithCancel(context.Background())
	answers := map[string]int{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := &http.Client{Timeout: 5 * time.Second}
		for ctx.Err() == nil {
			status, body := get(c, a.API, "type=publish&to=bob&content=during")
			answers[http.StatusText(status)+" "+body]++
			time.Sleep(20 * time.Millisecond)
		}
	}()
	start := time.Now()
	s.Failover(t)
	switched := time.Since(start)
	// Every instance must follow the new primary within seconds, not when
	// the sentinels get round to demoting the old one (8 s or more later):
	// until then a publish on one misses the pages of instances still
	// subscribed on the other.
	n := 0
	took := eventually.True(t, 5*time.Second, "pushes via A reach bob on B and via B alice on A after the failover", func() bool {
		n++
		return pushArrives(t, a.API, bob, "bob", n) && pushArrives(t, b.API, alice, "alice", n)
	})
	stop()
	wg.Wait()
	t.Logf("failover: sentinels agreed after %s, pushes delivered again %s later; answers meanwhile: %v",
		switched.Round(time.Millisecond), took.Round(time.Millisecond), answers)

	// Drop what arrived during the switch, then exactly one copy of each.
	for _, err := bob.Next(server.EventNewMsg, 300*time.Millisecond); err == nil; _, err = bob.Next(server.EventNewMsg, 300*time.Millisecond) {
	}
	clustertest.WantAnswer(t, a.API, "type=publish&to=bob&content=via+A", "ok")
	clustertest.ReceiveOnce(t, bob, "bob on B", "via A")
	clustertest.WantAnswer(t, b.API, "type=publish&to=alice&content=via+B", "ok")
	clustertest.ReceiveOnce(t, alice, "alice on A", "via B")
	clustertest.WantAnswer(t, b.API, "type=publish&content=all", "ok")
	clustertest.ReceiveOnce(t, alice, "alice on A", "all")
	clustertest.ReceiveOnce(t, bob, "bob on B", "all")
	clustertest.WantAnswer(t, a.API, "type=online&uid=bob", "online")
	clustertest.WantAnswer(t, b.API, "type=publish&to=nobody&content=x", "offline")
	clustertest.WantAnswer(t, a.API, "type=count", `{"uids":2,"pages":2}`)
	bob.Close()
	eventually.True(t, 5*time.Second, "bob offline after his page closed", func() bool {
		_, body := clustertest.Get(t, a.API, "type=online&uid=bob")
		return body == "offline"
	})
}

// pushArrives pushes to uid through apiURL and reports whether it was
// answered ok and c got it within 200 ms.
func pushArrives(t *testing.T, apiURL string, c *siotest.Client, uid string, n int) bool {
	t.Helper()
	content := fmt.Sprintf("probe-%d", n)
	if status, body := clustertest.Get(t, apiURL, "type=publish&to="+uid+"&content="+content); status != http.StatusOK || body != "ok" {
		return false
	}
	// Other pushes may come first: skip them, within the bound.
	deadline := time.Now().Add(200 * time.Millisecond)
	for left := time.Until(deadline); left > 0; left = time.Until(deadline) {
		e, err := c.Next(server.EventNewMsg, left)
		if err != nil {
			break
		}
		if e.Text(0) == content {
			return true
		}
	}
	return false
}

// get is clustertest.Get for a goroutine: a failed call is status 0.
func get(c *http.Client, apiURL, query string) (int, string) {
	resp, err := c.Get(apiURL + "/?" + query)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b [64]byte
	n, _ := resp.Body.Read(b[:])
	return resp.StatusCode, string(b[:n])
}
