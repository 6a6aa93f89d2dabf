package server

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/eiotest"
)

// recoveryOn is connection state recovery with a memory store.
var recoveryOn = Options{Recovery: RecoveryOptions{Recovery: settings.Recovery{Window: time.Minute, MaxPackets: 10}}}

// connectReply reads a protocol 5 CONNECT answer's data.
func connectReply(t *testing.T, packet string) map[string]string {
	t.Helper()
	var data map[string]string
	if len(packet) < 2 || json.Unmarshal([]byte(packet[2:]), &data) != nil {
		t.Fatalf("CONNECT answer %q: want 40 and an object of strings", packet)
	}
	return data
}

// TestRecoveryOnTheWire: with recovery on, a protocol 5 client's CONNECT
// answer carries a pid and an offset; its events carry an offset last,
// the login's count included; after its session ends (a close packet) a
// CONNECT with that pid and its last offset gets its socket id and pid
// back, the push it missed as it was numbered, and its login (the uid is
// online, no login sent), counted in pushio_recoveries_total; a second
// claim takes the session over, an unknown pid is a normal connect. A protocol 4 (EIO 3) client's frames stay byte
// for byte what they were.
func TestRecoveryOnTheWire(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, recoveryOn)
	old := openPolling(t, ts.URL, "/socket.io/", 3)
	t.Cleanup(func() { old.send("1") })
	old.next("40")
	old.send(`42["login","w3"]`)
	old.next(`42["update_online_count"`)

	c := openPolling(t, ts.URL, "/socket.io/", 4)
	c.send("40")
	first := connectReply(t, c.next("40"))
	offset := regexp.MustCompile(`^[A-Za-z0-9_-]{8}:[0-9]+$`)
	if first["sid"] == "" || len(first["pid"]) != 20 || !offset.MatchString(first["offset"]) {
		t.Fatalf("CONNECT answer = %v, want a sid, a pid and an offset", first)
	}
	inst := first["offset"][:8]
	c.send(`42["login","w"]`)
	count := c.next(`42["update_online_count"`)
	if want := `42["update_online_count","\u5f53\u524d\u003cb\u003e0\u003c/b\u003e\u4eba\u5728\u7ebf\uff0c\u5171\u6253\u5f00\u003cb\u003e0\u003c/b\u003e\u4e2a\u9875\u9762","` + first["offset"] + `"]`; count != want {
		t.Errorf("login answer = %s, want %s", count, want)
	}
	ts.publish(t, "w", "x")
	if got, want := c.next(`42["new_msg"`), `42["new_msg","x","`+inst+`:1"]`; got != want {
		t.Errorf("new_msg = %s, want %s", got, want)
	}
	ts.publish(t, "w3", "y")
	if got, want := old.next(`42["new_msg"`), `42["new_msg","y"]`; got != want {
		t.Errorf("EIO 3 new_msg = %s, want %s (no offset)", got, want)
	}

	c.send("1") // the transport closes: parked
	eventually(t, "the page parked", func() bool { return ts.apiOnline(t, "w") == "offline" })
	ts.publish(t, "w", "missed")
	back, err := ts.dial(t, eiotest.Options{Auth: map[string]any{"pid": first["pid"], "offset": inst + ":1"}})
	if err != nil {
		t.Fatal(err)
	}
	reply := connectReply(t, back.Connected)
	if reply["sid"] != first["sid"] || reply["pid"] != first["pid"] {
		t.Errorf("recovered CONNECT answer = %v, want sid %s and pid %s", reply, first["sid"], first["pid"])
	}
	if got, want := nextRaw(t, back), `42["new_msg","missed","`+inst+`:3"]`; got != want {
		t.Errorf("the missed push = %s, want %s", got, want)
	}
	// Its login is recorded right after the replay.
	eventually(t, "the recovered page's uid online again (its login restored)", func() bool { return ts.apiOnline(t, "w") == "online" })

	// A claim of a session still connected takes it over (the client
	// came back before the server saw its connection die): the holder is
	// closed. An unknown pid is a normal connect.
	again, err := ts.dial(t, eiotest.Options{Auth: map[string]any{"pid": first["pid"], "offset": inst + ":3"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := connectReply(t, again.Connected); r["sid"] != first["sid"] || r["pid"] != first["pid"] {
		t.Errorf("a second claim of one session = %v, want it taken over", r)
	}
	if !back.Closed(ctxFor(t, 5*time.Second)) {
		t.Error("the session's previous holder was not closed")
	}
	stranger, err := ts.dial(t, eiotest.Options{Auth: map[string]any{"pid": "AAAAAAAAAAAAAAAAAAAA", "offset": inst + ":3"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := connectReply(t, stranger.Connected); r["sid"] == first["sid"] || r["pid"] == first["pid"] {
		t.Errorf("an unknown pid = %v, want a new sid and pid", r)
	}
	for result, want := range map[string]int{"recovered": 2, "failed": 1} {
		if n := ts.count(t, "pushio_recoveries_total", "result", result); n != want {
			t.Errorf("pushio_recoveries_total{result=%q} = %d, want %d", result, n, want)
		}
	}
}

// nextRaw is the next event frame c gets.
func nextRaw(t *testing.T, c *eiotest.Client) string {
	t.Helper()
	ev, err := c.Next(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return ev.Packet
}

// TestRecoveryWhileTheOldConnectionLives: a client that comes back before
// the server saw its old connection die (nothing closed it: a phone that
// changed networks) still recovers on that instance: the old session is
// ended and parked first, and the push it had not read arrives once.
func TestRecoveryWhileTheOldConnectionLives(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, recoveryOn)
	old, err := ts.dial(t, eiotest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := connectReply(t, old.Connected)
	if err := old.Emit(EventLogin, "alive"); err != nil {
		t.Fatal(err)
	}
	count, err := old.NextNamed(ctxFor(t, 5*time.Second), EventOnlineCount)
	if err != nil {
		t.Fatal(err)
	}
	var last string
	_ = json.Unmarshal(count.Args[len(count.Args)-1], &last)
	ts.publish(t, "alive", "unread") // queued on the old connection, never read
	back, err := ts.dial(t, eiotest.Options{Auth: map[string]any{"pid": first["pid"], "offset": last}})
	if err != nil {
		t.Fatal(err)
	}
	if r := connectReply(t, back.Connected); r["sid"] != first["sid"] || r["pid"] != first["pid"] {
		t.Fatalf("CONNECT answer = %v, want the old session's sid %s and pid %s back", r, first["sid"], first["pid"])
	}
	ev, err := back.NextNamed(ctxFor(t, 5*time.Second), EventNewMsg)
	if err != nil || len(ev.Args) != 2 || string(ev.Args[0]) != `"unread"` {
		t.Fatalf("after the recovery: %v %v, want the unread push with its offset", ev.Packet, err)
	}
	if !old.Closed(ctxFor(t, 5*time.Second)) {
		t.Error("the old connection was not closed")
	}
	ts.publish(t, "alive", "next")
	if ev, err := back.NextNamed(ctxFor(t, 5*time.Second), EventNewMsg); err != nil || string(ev.Args[0]) != `"next"` {
		t.Fatalf("the push after: %v %v, want next (once: the unread one is not sent again)", ev.Packet, err)
	}
}

// TestRecoveryAfterManyPushes: a page picked by more broadcasts in its
// life than recovery.max_packets (10 here) still recovers, from the
// offset of the last it read, and gets the one it missed; a client that
// holds an offset older than what was kept gets a normal connect rather
// than a gap.
func TestRecoveryAfterManyPushes(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, recoveryOn)
	last := regexp.MustCompile(`"([A-Za-z0-9_-]{8}:[0-9]+)"\]$`)
	park := func(uid string) (first map[string]string, offsets []string) {
		c := openPolling(t, ts.URL, "/socket.io/", 4)
		c.send("40")
		first = connectReply(t, c.next("40"))
		c.send(`42["login","` + uid + `"]`)
		c.next(`42["update_online_count"`)
		for i := range 25 {
			ts.publish(t, uid, fmt.Sprint(i))
			m := last.FindStringSubmatch(c.next(`42["new_msg"`))
			if m == nil {
				t.Fatalf("push %d carries no offset", i)
			}
			offsets = append(offsets, m[1])
		}
		c.send("1")
		eventually(t, "the page parked", func() bool { return ts.apiOnline(t, uid) == "offline" })
		ts.publish(t, uid, "missed")
		return first, offsets
	}

	first, offsets := park("many")
	back, err := ts.dial(t, eiotest.Options{Auth: map[string]any{"pid": first["pid"], "offset": offsets[24]}})
	if err != nil {
		t.Fatal(err)
	}
	if r := connectReply(t, back.Connected); r["sid"] != first["sid"] {
		t.Fatalf("after 25 pushes: CONNECT answer %v, want sid %s back", r, first["sid"])
	}
	if got := nextRaw(t, back); !strings.HasPrefix(got, `42["new_msg","missed",`) {
		t.Errorf("after 25 pushes: first packet %s, want the missed push", got)
	}

	first, offsets = park("stale")
	stale, err := ts.dial(t, eiotest.Options{Auth: map[string]any{"pid": first["pid"], "offset": offsets[5]}})
	if err != nil {
		t.Fatal(err)
	}
	if r := connectReply(t, stale.Connected); r["sid"] == first["sid"] {
		t.Errorf("an offset older than what was kept recovered (%v): pushes 7…25 would be lost", r)
	}
}

// TestRecoveryNumbersWhatPicksAPageHere: a push that picks no page of
// this instance, connected or parked (an offline uid, a uid whose pages
// are on other instances), takes no offset and is not kept for recovery;
// one to a parked page is, and the page gets it when it comes back.
func TestRecoveryNumbersWhatPicksAPageHere(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, recoveryOn)
	c, err := ts.dial(t, eiotest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := connectReply(t, c.Connected)
	inst := first["offset"][:8]
	if err := c.Emit(EventLogin, "here"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NextNamed(ctxFor(t, 5*time.Second), EventOnlineCount); err != nil {
		t.Fatal(err)
	}
	offsetOf := func(c *eiotest.Client, content string) string {
		t.Helper()
		ev, err := c.NextNamed(ctxFor(t, 5*time.Second), EventNewMsg)
		if err != nil || len(ev.Args) != 2 || string(ev.Args[0]) != strconv.Quote(content) {
			t.Fatalf("new_msg %v %v, want %q and its offset", ev.Packet, err, content)
		}
		var off string
		_ = json.Unmarshal(ev.Args[1], &off)
		return off
	}
	for _, uid := range []string{"nobody", "nobody", "elsewhere"} {
		if got := ts.publish(t, uid, "lost"); got != "offline" {
			t.Fatalf("publish to %s = %q, want offline", uid, got)
		}
	}
	ts.publish(t, "here", "one")
	if got, want := offsetOf(c, "one"), inst+":1"; got != want {
		t.Errorf("the first push to a page here has offset %s, want %s (the 3 to nobody here not numbered)", got, want)
	}
	ts.publish(t, "", "all")
	if got, want := offsetOf(c, "all"), inst+":2"; got != want {
		t.Errorf("a broadcast has offset %s, want %s", got, want)
	}
	c.Close()
	eventually(t, "the page parked", func() bool { return ts.apiOnline(t, "here") == "offline" })
	ts.publish(t, "nobody", "lost")
	ts.publish(t, "here", "missed")
	back, err := ts.dial(t, eiotest.Options{Auth: map[string]any{"pid": first["pid"], "offset": inst + ":2"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := connectReply(t, back.Connected); r["sid"] != first["sid"] {
		t.Fatalf("CONNECT answer = %v, want the parked session %s back", r, first["sid"])
	}
	if got, want := offsetOf(back, "missed"), inst+":3"; got != want {
		t.Errorf("the push to the parked page has offset %s, want %s", got, want)
	}
}
