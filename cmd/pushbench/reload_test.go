package main

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/redistest"
)

// TestReload runs the reload scenario at smoke size on the built binary:
// a page reloading every 500 ms for 2 s while 100 pushes a second with a
// ttl go to its uid, on one node (memory) and on two instances on a real
// Redis, the pages alternating between them. Every push is received once
// — those of the gaps between pages held and given to the next login,
// those answered ok to a page pushio was closing kept for its uid too.
func TestReload(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes int
	}{{"one node", 1}, {"two instances on Redis", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			var args []string
			if tc.nodes > 1 {
				args = []string{"--redis.url", redistest.Start(t).URL(), "--redis.prefix", redistest.Prefix(t)}
			}
			var ios, apis []string
			var nodes []*harness.Pushio
			for range tc.nodes {
				p := harness.StartT(t, harness.Binary(), harness.Options{Args: args})
				ios, apis, nodes = append(ios, p.IOAddr), append(apis, p.APIAddr), append(nodes, p)
			}
			t.Cleanup(func() { // together: each waits up to 5 s for the pages it parked
				var wg sync.WaitGroup
				for _, p := range nodes {
					wg.Go(func() { _ = p.Stop() }) // StartT's cleanup reports its result
				}
				wg.Wait()
			})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			r := runBench(ctx, t, "-io", strings.Join(ios, ","), "-api", strings.Join(apis, ","), "-n", "0",
				"-duration", "2s", "-reload-every", "500ms", "-timeout", "5s", "reload")

			rl := r.Reload
			if rl == nil {
				t.Fatalf("no reload result: %+v", r)
			}
			if rl.UID != "reload0" || rl.Instances != tc.nodes || rl.TTL != reloadTTL || rl.PushRate != 100 || rl.GapS != 0.1 {
				t.Errorf("reload: uid %q on %d instance(s), ttl %d, %v pushes/s, gap %v s; want reload0 on %d, ttl %d, 100/s, 0.1 s",
					rl.UID, rl.Instances, rl.TTL, rl.PushRate, rl.GapS, tc.nodes, reloadTTL)
			}
			if rl.Reloads < 1 || rl.Dropped != 0 || rl.PageErrors != 0 {
				t.Errorf("reload: %d reloads, %d pages dropped, %d not logged in; want at least 1, none, none", rl.Reloads, rl.Dropped, rl.PageErrors)
			}
			if rl.Published == 0 || rl.OK+rl.Offline != rl.Published || rl.Fail != 0 || rl.Errors != 0 {
				t.Errorf("reload: %d published, answered ok %d, offline %d, fail %d, errors %d; want every one ok or offline",
					rl.Published, rl.OK, rl.Offline, rl.Fail, rl.Errors)
			}
			// 100 ms gaps at 100 pushes a second: pushes were held.
			if rl.Offline == 0 {
				t.Errorf("reload: no push was answered offline (held) over %d reloads", rl.Reloads)
			}
			// Answered ok while no page was open: pushio handed the push
			// to the page it was closing, which keeps it for its uid
			// (server/refused.go); none may be lost.
			if rl.Lost != 0 || rl.Dups != 0 || rl.Received != rl.Unique || rl.Unique > rl.Published {
				t.Errorf("reload: %d published, %d received, %d unique: lost %d (%d to a closing page), duplicated %d; want each received once; %q",
					rl.Published, rl.Received, rl.Unique, rl.Lost, rl.LostOKClosing, rl.Dups, rl.Missed)
			}
			if r.Foreign != 0 || len(r.Errors) != 0 {
				t.Errorf("foreign %d, errors %q", r.Foreign, r.Errors)
			}
		})
	}
}

// TestTargetedOffline runs targeted publish to uids no page has, without
// and then with -ttl, on the built binary: every answer is offline, the
// rate positive; without a ttl nothing is held, with one each push is
// held once (type=held over every uid adds up to the offline answers).
func TestTargetedOffline(t *testing.T) {
	p := harness.StartT(t, harness.Binary(), harness.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const uids = 1000
	api := newAPIConn(p.APIAddr, 5*time.Second)
	defer api.Close()
	held := func() int {
		sum := 0
		for i := range uids {
			status, body, err := api.Get("/?type=held&uid=" + offlineUID(i))
			n, convErr := strconv.Atoi(string(body))
			if err != nil || status != 200 || convErr != nil {
				t.Fatalf("type=held&uid=%s: %d %q %v", offlineUID(i), status, body, err)
			}
			sum += n
		}
		return sum
	}
	for _, ttl := range []int{-1, 60} {
		r := runBench(ctx, t, "-io", p.IOAddr, "-api", p.APIAddr, "-n", "0", "-offline", "-target-all", strconv.Itoa(uids),
			"-ttl", strconv.Itoa(ttl), "-c", "2", "-duration", "1s", "targeted")
		tg := r.Targeted
		if tg == nil {
			t.Fatalf("ttl %d: no targeted result: %+v", ttl, r)
		}
		if !tg.ToOffline || tg.TTL != max(ttl, 0) || tg.Requests == 0 || tg.Offline != tg.Requests ||
			tg.OK != 0 || tg.Fail != 0 || tg.Errors != 0 || tg.AnsweredPerS <= 0 || tg.Delivered != 0 {
			t.Errorf("ttl %d: targeted %+v, want every request answered offline at a positive rate", ttl, tg)
		}
		want := 0
		if ttl > 0 {
			want = int(tg.Offline)
		}
		if got := held(); got != want {
			t.Errorf("ttl %d: %d messages held over the %d uids, want %d", ttl, got, uids, want)
		}
		if r.Foreign != 0 || len(r.Errors) != 0 {
			t.Errorf("ttl %d: foreign %d, errors %q", ttl, r.Foreign, r.Errors)
		}
	}
}

func TestReloadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the error; "" for none
	}{
		{[]string{"reload"}, ""},
		{[]string{"-ttl", "0", "-push-rate", "20", "-reload-every", "250ms", "-reload-gap", "0s", "reload"}, ""},
		{[]string{"-offline", "-ttl", "60", "-target-all", "10", "-n", "0", "targeted"}, ""},
		{[]string{"-ttl", "-2", "targeted"}, "-ttl -2"},
		{[]string{"-push-rate", "0", "reload"}, "-push-rate"},
		{[]string{"-reload-every", "0s", "reload"}, "-reload-every"},
		{[]string{"-reload-gap", "-1s", "reload"}, "-reload-gap"},
		{[]string{"-transport", "sse", "reload"}, "Socket.IO websocket page only"},
		{[]string{"-transport", "polling", "connect", "reload"}, "Socket.IO websocket page only"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want one saying %q", tc.args, err, tc.want)
		}
	}
}

// TestReloadTally counts a page's pushes by sequence number (twice is a
// duplicate, after its close frame is counted too) and tells the pushes
// lost after an ok answer in a gap between pages from the others.
func TestReloadTally(t *testing.T) {
	var tally reloadTally
	at := time.Unix(100, 0)
	for _, tc := range []struct {
		content string
		closing bool
		ok      bool
	}{
		{reloadContent(0, at), false, true}, {reloadContent(2, at), false, true}, {reloadContent(2, at), true, true},
		{"r.x.1", false, false}, {"t.5", false, false}, {"r.-1.5", false, false}, {"r.3", false, false},
		{"r." + strconv.Itoa(maxReloadSeq) + ".5", false, false},
	} {
		if got := tally.record([]byte(tc.content), at.Add(time.Millisecond), tc.closing); got != tc.ok {
			t.Errorf("record(%q) = %v, want %v", tc.content, got, tc.ok)
		}
	}
	if unique, received, inClose := tally.counts(); unique != 2 || received != 3 || inClose != 1 {
		t.Errorf("counts: unique %d, received %d, in close %d; want 2, 3, 1", unique, received, inClose)
	}
	if d := tally.lat.Quantile(1); d < 0.9 || d > 1.1 {
		t.Errorf("latency %v ms, want 1", d)
	}
	// Seq 1 and 3 were never received: 1 answered ok in the gap, 3 ok
	// after it; 4 offline in the gap (held, then lost: not the close's).
	ms := func(n int) time.Time { return at.Add(time.Duration(n) * time.Millisecond) }
	sent := []sentPush{{ms(0), ms(1), true}, {ms(9), ms(11), true}, {ms(20), ms(21), true}, {ms(40), ms(41), true}, {ms(12), ms(13), false}}
	gaps := []interval{{from: ms(10), to: ms(30)}, {from: ms(50)}}
	if n := tally.lostOKIn(sent, gaps); n != 1 {
		t.Errorf("lost after an ok answer in a gap: %d, want 1 (seq 1)", n)
	}
	sent = append(sent, sentPush{ms(60), ms(61), true}) // in the last gap, which has not ended
	if n := tally.lostOKIn(sent, gaps); n != 2 {
		t.Errorf("with one in the open gap: %d, want 2", n)
	}
	want := []string{
		"push 1 received 0 times: answered ok by api 1, sent at 0.009 s, answered in 2.0 ms",
		"push 2 received 2 times: answered ok by api 0, sent at 0.020 s, answered in 1.0 ms",
		"push 3 received 0 times: answered ok by api 1, sent at 0.040 s, answered in 1.0 ms",
		"push 4 received 0 times: answered not ok by api 0, sent at 0.012 s, answered in 1.0 ms",
		"push 5 received 0 times: answered ok by api 1, sent at 0.060 s, answered in 1.0 ms",
	}
	if got := tally.missed(sent, at, 2); !slices.Equal(got, want) {
		t.Errorf("missed:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
