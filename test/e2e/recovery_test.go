package e2e

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/redistest"
)

// recoveringClient is a socket.io-client 4.8.1 page that reports its
// recovery and every argument, and reconnects after delay.
func recoveringClient(uid string, delay time.Duration) clientSpec {
	return clientSpec{Version: "sio4", UID: uid, Transports: []string{"websocket"},
		ReconnectMS: int(delay.Milliseconds()), Args: true, Recovery: true}
}

// connects are client c's connect lines' {recovered, id}.
func (n *nodeClients) connects(c int) []map[string]any {
	var out []map[string]any
	for _, e := range n.eventsOf(c, "connect") {
		m, _ := e.Data.(map[string]any)
		out = append(out, m)
	}
	return out
}

// waitConnects waits for client c's want-th connect and returns it.
func (n *nodeClients) waitConnects(c, want int, timeout time.Duration) map[string]any {
	n.t.Helper()
	n.wait(timeout, fmt.Sprintf("connect #%d of client %d", want, c), func(es []event) bool {
		return len(payloads(es, c, "connect")) >= want
	})
	return n.connects(c)[want-1]
}

// dropAndWait cuts client c's connection and waits until it saw it.
func (n *nodeClients) dropAndWait(c int) {
	n.t.Helper()
	before := n.count(c, "disconnect")
	n.command(fmt.Sprintf("drop %d", c))
	n.wait(10*time.Second, fmt.Sprintf("client %d's disconnect", c), func(es []event) bool {
		return len(payloads(es, c, "disconnect")) > before
	})
}

// wantMsgs checks that client c got exactly want as new_msg, in order,
// each with one more argument, a string offset, and distinct offsets.
func wantMsgs(t *testing.T, n *nodeClients, c int, want []string) {
	t.Helper()
	var got []string
	seen := map[string]bool{}
	for _, e := range n.eventsOf(c, "new_msg") {
		got = append(got, fmt.Sprint(e.Data))
		if len(e.Args) != 2 {
			t.Errorf("new_msg %v: %d arguments, want the content and an offset", e.Args, len(e.Args))
			continue
		}
		off, _ := e.Args[1].(string)
		if off == "" || seen[off] {
			t.Errorf("new_msg %v: offset %q empty or seen before", e.Args, off)
		}
		seen[off] = true
	}
	if !slices.Equal(got, want) {
		t.Fatalf("client %d got new_msg %q, want %q (in order, once)", c, got, want)
	}
}

// waitRecovered waits for client c's connect number want and checks that
// it recovered (or not) with the socket id it had.
func waitRecovered(t *testing.T, n *nodeClients, c, want int, recovered bool) {
	t.Helper()
	first := n.connects(c)[0]
	got := n.waitConnects(c, want, 15*time.Second)
	if got["recovered"] != recovered {
		t.Fatalf("connect #%d: recovered = %v, want %v", want, got["recovered"], recovered)
	}
	if recovered && got["id"] != first["id"] {
		t.Errorf("recovered with socket id %v, want the first one %v", got["id"], first["id"])
	}
}

// TestRecoveryGetsMissedPushes: a 4.x page whose connection is cut while
// pushes arrive gets them after it reconnects, in order, once, with
// socket.recovered true, the same socket id and its login (pushes to its
// uid reach it without a login of its own being needed: the login it
// sends again is ignored).
func TestRecoveryGetsMissedPushes(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	n := startClients(t, p.IOURL(), recoveringClient("rec1", 1500*time.Millisecond))
	n.waitLine("all_ready", 15*time.Second)
	e2etest.Publish(t, p, "rec1", "m1")
	n.waitMsgs(0, 1, 5*time.Second)
	n.dropAndWait(0)
	eventually.True(t, 5*time.Second, "the server sees the page gone", func() bool { return e2etest.Online(t, p, "rec1") == "offline" })
	for _, m := range []string{"m2", "m3", "m4"} {
		if got := e2etest.Publish(t, p, "rec1", m); got != "offline" {
			t.Errorf("publish %s while the page is away: %q, want offline", m, got)
		}
	}
	waitRecovered(t, n, 0, 2, true)
	n.waitMsgs(0, 4, 5*time.Second)
	if got := e2etest.Publish(t, p, "rec1", "m5"); got != "ok" {
		t.Errorf("publish after the recovery: %q, want ok (the uid is back)", got)
	}
	n.waitMsgs(0, 5, 5*time.Second)
	time.Sleep(300 * time.Millisecond) // nothing more comes
	wantMsgs(t, n, 0, []string{"m1", "m2", "m3", "m4", "m5"})
}

// TestRecoveryAfterOnlineCount: the last event a page read before its
// connection was cut is update_online_count (the login's answer), whose
// last argument socket.io-client takes as its offset: the count carries
// a real offset, so the recovery works and the push of the gap arrives.
func TestRecoveryAfterOnlineCount(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t, "--counts.interval", "1h")
	n := startClients(t, p.IOURL(), recoveringClient("rec2", time.Second))
	n.waitLine("all_ready", 15*time.Second)
	counts := n.eventsOf(0, "update_online_count")
	if len(counts) != 1 || len(counts[0].Args) != 2 {
		t.Fatalf("update_online_count = %v, want one with the count and an offset", counts)
	}
	n.dropAndWait(0)
	e2etest.Publish(t, p, "rec2", "gap")
	waitRecovered(t, n, 0, 2, true)
	n.waitMsgs(0, 1, 5*time.Second)
	wantMsgs(t, n, 0, []string{"gap"})
	// And again, after the count the recovery gave it.
	n.dropAndWait(0)
	e2etest.Publish(t, p, "rec2", "gap2")
	waitRecovered(t, n, 0, 3, true)
	n.waitMsgs(0, 2, 5*time.Second)
	wantMsgs(t, n, 0, []string{"gap", "gap2"})
}

// TestRecoveryWindowEnds: past recovery.window the page gets a normal
// connect (recovered false, a new socket id), logs in again, and the
// pushes of the gap are not replayed.
func TestRecoveryWindowEnds(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t, "--recovery.window", "1s")
	n := startClients(t, p.IOURL(), recoveringClient("rec3", 2500*time.Millisecond))
	n.waitLine("all_ready", 15*time.Second)
	n.dropAndWait(0)
	e2etest.Publish(t, p, "rec3", "lost")
	waitRecovered(t, n, 0, 2, false)
	if c := n.connects(0); c[1]["id"] == c[0]["id"] {
		t.Errorf("a normal connect kept the socket id %v", c[0]["id"])
	}
	n.wait(5*time.Second, "the new login's count", func(es []event) bool { return len(payloads(es, 0, "update_online_count")) >= 2 })
	e2etest.Publish(t, p, "rec3", "after")
	n.waitMsgs(0, 1, 5*time.Second)
	wantMsgs(t, n, 0, []string{"after"})
}

// TestRecoveryMaxPackets: a page that missed more than
// recovery.max_packets gets a normal connect and none of them.
func TestRecoveryMaxPackets(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t, "--recovery.max_packets", "3")
	n := startClients(t, p.IOURL(), recoveringClient("rec4", 1500*time.Millisecond))
	n.waitLine("all_ready", 15*time.Second)
	n.dropAndWait(0)
	for i := range 4 {
		e2etest.Publish(t, p, "rec4", fmt.Sprint("over", i))
	}
	waitRecovered(t, n, 0, 2, false)
	n.wait(5*time.Second, "the new login's count", func(es []event) bool { return len(payloads(es, 0, "update_online_count")) >= 2 })
	e2etest.Publish(t, p, "rec4", "after")
	n.waitMsgs(0, 1, 5*time.Second)
	wantMsgs(t, n, 0, []string{"after"})
}

// TestRecoveryLeavesOldClientsAlone: with recovery on, socket.io-client
// 1.7.4 and 2.5.0 pages get today's events, one argument each (no
// offset), and a 4.x page beside them gets the offset.
func TestRecoveryLeavesOldClientsAlone(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	n := startClients(t, p.IOURL(),
		clientSpec{Version: "sio1", UID: "old", Args: true},
		clientSpec{Version: "sio2", UID: "old", Args: true},
		clientSpec{Version: "sio4", UID: "old", Args: true})
	n.waitLine("all_ready", 15*time.Second)
	e2etest.Publish(t, p, "old", `<b>"x"</b>`)
	e2etest.Publish(t, p, "", "all")
	for c := range 3 {
		n.waitMsgs(c, 2, 5*time.Second)
	}
	for c, want := range []int{1, 1, 2} {
		for _, ev := range []string{"new_msg", "update_online_count"} {
			for _, e := range n.eventsOf(c, ev) {
				if len(e.Args) != want {
					t.Errorf("client %d %s: arguments %v, want %d", c, ev, e.Args, want)
				}
			}
		}
		if got := n.data(c, "new_msg"); fmt.Sprint(got) != "[&lt;b&gt;&quot;x&quot;&lt;/b&gt; all]" {
			t.Errorf("client %d: new_msg %v", c, got)
		}
	}
}

// TestRecoveryHostileAuth: a CONNECT auth whose pid or offset is of the
// wrong type, huge, or unknown is a normal connect: the page connects
// (recovered false), logs in and gets its pushes.
func TestRecoveryHostileAuth(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	auths := []map[string]any{
		{"pid": 12, "offset": "x:1"},
		{"pid": []any{"a"}, "offset": map[string]any{"a": 1}},
		{"pid": strings.Repeat("p", 50000), "offset": strings.Repeat("9", 50000)},
		{"pid": "AAAAAAAAAAAAAAAAAAAA", "offset": "x:1"},
		{"pid": "AAAAAAAAAAAAAAAAAAAA", "offset": 5},
		{"pid": "{tag}AAAAAAAAAAAAAAA", "offset": nil},
	}
	var specs []clientSpec
	for _, a := range auths {
		specs = append(specs, clientSpec{Version: "sio4", UID: "hostile", Auth: a, Recovery: true, Args: true})
	}
	n := startClients(t, p.IOURL(), specs...)
	n.waitLine("all_ready", 15*time.Second)
	e2etest.Publish(t, p, "hostile", "still fine")
	for c := range auths {
		n.waitMsgs(c, 1, 5*time.Second)
		if got := n.connects(c)[0]["recovered"]; got != false {
			t.Errorf("client %d (auth %.60v): recovered = %v, want false", c, auths[c], got)
		}
	}
}

// startRedisPair starts two instances on one Redis.
func startRedisPair(t *testing.T, redisURL string, args ...string) (*harness.Pushio, *harness.Pushio) {
	t.Helper()
	a := append([]string{"--redis.url", redisURL}, args...)
	return e2etest.StartPushio(t, a...), e2etest.StartPushio(t, a...)
}

// TestRecoveryAcrossInstances: on two instances of one real Redis, a
// page cut from instance a reconnects to b and recovers there: the
// pushes published on a and on b during the gap arrive, in order, once,
// and b then delivers to it as a page of its own.
func TestRecoveryAcrossInstances(t *testing.T) {
	e2etest.NeedNode(t)
	redis := redistest.Start(t)
	a, b := startRedisPair(t, redis.URL())
	n := startClients(t, a.IOURL(), recoveringClient("far", 1500*time.Millisecond))
	n.waitLine("all_ready", 15*time.Second)
	e2etest.Publish(t, b, "far", "m1") // through the fan-out
	n.waitMsgs(0, 1, 5*time.Second)
	n.command("move 0 " + b.IOURL())
	n.dropAndWait(0)
	e2etest.Publish(t, a, "far", "m2")
	e2etest.Publish(t, b, "far", "m3")
	e2etest.Publish(t, a, "", "m4") // a broadcast
	waitRecovered(t, n, 0, 2, true)
	n.waitMsgs(0, 4, 5*time.Second)
	if got := e2etest.Publish(t, a, "far", "m5"); got != "ok" {
		t.Errorf("publish after the recovery on b: %q, want ok", got)
	}
	n.waitMsgs(0, 5, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	wantMsgs(t, n, 0, []string{"m1", "m2", "m3", "m4", "m5"})
}

// TestRecoveryRedisRestarted: the parked sessions live in Redis only
// (nothing on disk): a page away while Redis restarts gets a normal
// connect (recovered false), logs in again and gets the pushes that
// follow; a page that stayed connected keeps getting pushes. Nothing
// crashes.
func TestRecoveryRedisRestarted(t *testing.T) {
	e2etest.NeedNode(t)
	redis := redistest.Start(t)
	p := e2etest.StartPushio(t, "--redis.url", redis.URL())
	n := startClients(t, p.IOURL(), recoveringClient("away", 2500*time.Millisecond), recoveringClient("stays", time.Second))
	n.waitLine("all_ready", 15*time.Second)
	n.dropAndWait(0)
	e2etest.Publish(t, p, "away", "lost with Redis")
	// Parked (in Redis) once the server saw the cut: its logout follows.
	eventually.True(t, 5*time.Second, "the page parked", func() bool { return e2etest.Online(t, p, "away") == "offline" })
	time.Sleep(100 * time.Millisecond)
	redis.Restart()
	waitRecovered(t, n, 0, 2, false)
	n.wait(10*time.Second, "the new login's count", func(es []event) bool { return len(payloads(es, 0, "update_online_count")) >= 2 })
	eventually.True(t, 15*time.Second, "publishes work again after the restart", func() bool {
		return e2etest.Publish(t, p, "stays", "ping") == "ok"
	})
	e2etest.Publish(t, p, "away", "after")
	n.waitMsgs(0, 1, 5*time.Second)
	wantMsgs(t, n, 0, []string{"after"})
	n.waitMsgs(1, 1, 5*time.Second)
	select {
	case <-p.Exited():
		t.Fatalf("pushio exited: %s", p.Output())
	default:
	}
}

// tryPublish publishes to uid through apiURL; an instance that has gone
// answers an error.
func tryPublish(apiURL, uid, content string) (string, error) {
	resp, err := e2etest.HTTPClient.Get(apiURL + "/?" + publishQuery(uid, content))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// TestRecoveryDrain: a page that a draining instance (SIGTERM)
// disconnects while pushes to it are being published there reconnects to
// the other instance and recovers: every push the API accepted arrives,
// in order, once, and so do those published on the other instance while
// the page was between the two (the drained instance, done with its
// sessions, waits for its parked page to be taken).
func TestRecoveryDrain(t *testing.T) {
	e2etest.NeedNode(t)
	redis := redistest.Start(t)
	a, b := startRedisPair(t, redis.URL(), "--io.drain_window", "1s")
	n := startClients(t, a.IOURL(), recoveringClient("drained", 1500*time.Millisecond))
	n.waitLine("all_ready", 15*time.Second)
	n.command("move 0 " + b.IOURL())
	var accepted []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 400 {
			m := fmt.Sprint("d", i)
			if got, err := tryPublish(a.APIURL(), "drained", m); err == nil && (got == "ok" || got == "offline") {
				accepted = append(accepted, m)
			}
		}
	}()
	time.Sleep(20 * time.Millisecond)
	if err := a.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-done
	n.wait(10*time.Second, "the drain's disconnect", func(es []event) bool { return len(payloads(es, 0, "disconnect")) > 0 })
	for i := range 3 {
		m := fmt.Sprint("gap", i)
		e2etest.Publish(t, b, "drained", m)
		accepted = append(accepted, m)
	}
	waitRecovered(t, n, 0, 2, true)
	select {
	case <-a.Exited():
	case <-time.After(15 * time.Second):
		t.Fatal("the drained instance did not exit")
	}
	n.waitMsgs(0, len(accepted), 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	t.Logf("%d pushes accepted by the draining instance", len(accepted))
	if len(accepted) == 0 {
		t.Fatal("no push was accepted: nothing was in flight")
	}
	wantMsgs(t, n, 0, accepted)
}

// TestMessageIDs: each push has one id, the offset a recovering 4.x page
// gets as its last argument and the id: of the event stream page of the
// same uid on the same instance, distinct from push to push; the count an
// event stream gets after a push repeats the latest push's id, so that its
// Last-Event-ID always names a push.
func TestMessageIDs(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	n := startClients(t, p.IOURL(),
		clientSpec{Version: "sio4", UID: "ids", Args: true},
		clientSpec{Version: "sse", UID: "ids", Args: true})
	n.waitLine("all_ready", 15*time.Second)
	for _, m := range []string{"a", "b", "c"} {
		e2etest.Publish(t, p, "ids", m)
	}
	e2etest.Publish(t, p, "", "everyone")
	n.waitMsgs(0, 4, 5*time.Second)
	n.waitMsgs(1, 4, 5*time.Second)
	sio, sse := n.eventsOf(0, "new_msg"), n.eventsOf(1, "new_msg")
	seen := map[any]bool{}
	for i := range sio {
		if len(sio[i].Args) != 2 || len(sse[i].Args) != 2 {
			t.Fatalf("push %d: args %v and %v, want the content and an id each", i, sio[i].Args, sse[i].Args)
		}
		id := sio[i].Args[1]
		if id != sse[i].Args[1] || seen[id] || fmt.Sprint(id) == "" {
			t.Errorf("push %d (%v): socket.io offset %v, event stream id %v: want one id, new", i, sio[i].Data, id, sse[i].Args[1])
		}
		seen[id] = true
	}
	// The count that follows (a second uid's page changes it).
	m := startClients(t, p.IOURL(), clientSpec{Version: "sio2", UID: "ids2"})
	m.waitLine("all_ready", 15*time.Second)
	two := func(e event) bool { return strings.Contains(fmt.Sprint(e.Data), "<b>2</b>人") }
	n.wait(5*time.Second, "the count of two uids on the event stream", func(es []event) bool {
		return slices.ContainsFunc(es, func(e event) bool { return e.C == 1 && e.Ev == "update_online_count" && two(e) })
	})
	for _, e := range n.eventsOf(1, "update_online_count") {
		if two(e) && (len(e.Args) != 2 || e.Args[1] != sio[3].Args[1]) {
			t.Errorf("the count after the pushes has id %v, want the latest push's %v", e.Args, sio[3].Args[1])
		}
	}
}

// TestRecoveryKeepsGroups: a page in a group by its uid and in another by
// its client id recovers in both, on another instance: the group pushes
// of the gap arrive, and those after, once each.
func TestRecoveryKeepsGroups(t *testing.T) {
	e2etest.NeedNode(t)
	redis := redistest.Start(t)
	a, b := startRedisPair(t, redis.URL())
	n := startClients(t, a.IOURL(), recoveringClient("grouped", 1500*time.Millisecond))
	n.waitLine("all_ready", 15*time.Second)
	id := fmt.Sprint(n.connects(0)[0]["id"])
	e2etest.APIGet(t, a, "type=join&group=byuid&uid=grouped")
	e2etest.APIGet(t, a, "type=join&group=byclient&client="+id)
	e2etest.APIGet(t, a, "type=publish&group=byuid&content=g1")
	n.waitMsgs(0, 1, 5*time.Second)
	n.command("move 0 " + b.IOURL())
	n.dropAndWait(0)
	e2etest.APIGet(t, b, "type=publish&group=byuid&content=g2")
	e2etest.APIGet(t, a, "type=publish&group=byclient&content=g3")
	waitRecovered(t, n, 0, 2, true)
	n.waitMsgs(0, 3, 5*time.Second)
	e2etest.APIGet(t, a, "type=publish&group=byuid&content=g4")
	e2etest.APIGet(t, b, "type=publish&group=byclient&content=g5")
	n.waitMsgs(0, 5, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	wantMsgs(t, n, 0, []string{"g1", "g2", "g3", "g4", "g5"})
}

// TestDrainWithParkedPages: an instance holding many parked pages (their
// connections cut, their sessions parked in Redis, none coming back)
// stops within its shutdown_timeout on SIGTERM, and removes its presence
// when Redis is there. With Redis gone, the drain's wait for their
// handover used to ask the store about each page in turn, each call
// failing slowly, for minutes (found with 100,000 pages on 6 instances);
// with Redis there, that wait took what the stop needed to remove the
// instance's presence.
func TestDrainWithParkedPages(t *testing.T) {
	e2etest.NeedNode(t)
	for _, redisGone := range []bool{false, true} {
		t.Run(fmt.Sprint("redis gone ", redisGone), func(t *testing.T) {
			redis := redistest.Start(t)
			a := e2etest.StartPushio(t, "--redis.url", redis.URL(), "--shutdown_timeout", "4s", "--io.drain_window", "1s")
			const pages = 100
			specs := make([]clientSpec, pages)
			for i := range specs {
				specs[i] = recoveringClient(fmt.Sprint("parked", i), time.Hour)
			}
			n := startClients(t, a.IOURL(), specs...)
			n.waitLine("all_ready", 30*time.Second)
			for i := range pages {
				n.command(fmt.Sprintf("drop %d", i))
			}
			eventually.True(t, 15*time.Second, "every page parked", func() bool {
				return e2etest.Metrics(t, a).Value("pushio_redis_duration_seconds", "op", "recovery_park") >= pages
			})
			if redisGone {
				redis.Stop()
			}
			start := time.Now()
			if err := a.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-a.Exited():
				t.Logf("stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
			case <-time.After(15 * time.Second):
				t.Fatalf("pushio still running 15 s after SIGTERM (shutdown_timeout 4s) with %d pages parked", pages)
			}
			if redisGone {
				return
			}
			for _, l := range strings.Split(a.Output(), "\n") {
				if strings.Contains(l, "presence not removed") {
					t.Errorf("with Redis there, the stop did not remove the instance's presence: %s", l)
				}
			}
		})
	}
}
