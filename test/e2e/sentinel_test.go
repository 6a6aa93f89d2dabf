package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/redistest"
)

// TestSentinelFailoverWithPages runs two pushio binaries on a
// Sentinel-watched primary (redis.url naming the three sentinels), with
// socket.io-client 4.x and 2.x pages on B, and has the sentinels promote
// the replica: within seconds a push through A reaches the pages on B
// again, each copy once, and presence and offline answers are right.
func TestSentinelFailoverWithPages(t *testing.T) {
	e2etest.NeedNode(t)
	s := redistest.StartSentinel(t)
	nodes := startNodes(t, 2, "--redis.url", s.URL(), "--redis.prefix", redistest.Prefix(t))
	a, b := "http://"+nodes[0].APIAddr, "http://"+nodes[1].APIAddr
	n := startClients(t, "http://"+nodes[1].IOAddr,
		clientSpec{Version: "sio4", UID: "page-4"}, clientSpec{Version: "sio2", UID: "page-2"})
	n.waitLine("all_ready", 20*time.Second)
	if got := publishTo(t, a, "page-4", "before"); got != "ok" {
		t.Fatalf("push before the failover: %q, want ok", got)
	}
	n.waitMsgs(0, 1, 5*time.Second)

	s.Failover(t)
	probe := 0
	took := eventually.True(t, 5*time.Second, "a push via A reaches the 4.x page on B after the failover", func() bool {
		probe++
		content := fmt.Sprintf("probe-%d", probe)
		if publishTo(t, a, "page-4", content) != "ok" {
			return false
		}
		deadline := time.Now().Add(300 * time.Millisecond)
		for time.Now().Before(deadline) {
			if slices.Contains(n.data(0, "new_msg"), any(content)) {
				return true
			}
			time.Sleep(20 * time.Millisecond)
		}
		return false
	})
	t.Logf("pushes reached the page again %s after the sentinels agreed", took.Round(time.Millisecond))

	for _, q := range []struct{ query, want string }{
		{"type=online&uid=page-4", "online"},
		{"type=online&uid=page-2", "online"},
		{"type=online&uid=nobody", "offline"},
		{"type=publish&to=nobody&content=x", "offline"},
		{"type=count", `{"uids":2,"pages":2}`},
	} {
		if _, got := e2etest.Call(t, "GET", b+"/?"+q.query, "", ""); got != q.want {
			t.Errorf("after the failover, ?%s = %q, want %q", q.query, got, q.want)
		}
	}
	before := len(n.data(1, "new_msg"))
	if got := publishTo(t, a, "page-2", "after"); got != "ok" {
		t.Fatalf("push to the 2.x page after the failover: %q, want ok", got)
	}
	n.waitMsgs(1, before+1, 5*time.Second)
	time.Sleep(300 * time.Millisecond) // a second copy would come by now
	if got := n.data(1, "new_msg"); !slices.Equal(got, []any{"after"}) {
		t.Errorf("the 2.x page got %q, want [after] once", got)
	}
}
