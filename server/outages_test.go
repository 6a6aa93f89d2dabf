package server

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/eiotest"
	"github.com/pushio/pushio/internal/test/testlog"
	"github.com/pushio/pushio/recovery"
)

// downStore is a shared recovery store that fails while down.
type downStore struct {
	*recovery.Memory
	down *atomic.Bool
}

func (s downStore) Park(ctx context.Context, pid string, sess recovery.Session, e []recovery.Entry) error {
	if s.down.Load() {
		return errDown
	}
	return s.Memory.Park(ctx, pid, sess, e)
}

func (s downStore) Take(ctx context.Context, pid string) (recovery.Session, []recovery.Entry, bool, error) {
	if s.down.Load() {
		return recovery.Session{}, nil, false, errDown
	}
	return s.Memory.Take(ctx, pid)
}

// TestPageCallsOutageLoggedOnce: with the store away, the logins,
// logouts, parks and recoveries of many pages each log their failure once
// (with what it means for the page), not once a page, and their recovery
// once when the store is back.
func TestPageCallsOutageLoggedOnce(t *testing.T) {
	t.Parallel()
	presence := &flakyPresence{Presence: memory.New()}
	down := &presence.down
	var logs testlog.Buffer
	opts := Options{SocketIO: settings.SocketIO{Path: "/socket.io"}, Counts: settings.Counts{Interval: manualCounts},
		Recovery: RecoveryOptions{Recovery: settings.Recovery{Window: time.Minute, MaxPackets: 10},
			Store: downStore{Memory: recovery.NewMemory(time.Minute, 10), down: down}}}
	srv, err := New(opts, presence, logs.Logger())
	if err != nil {
		t.Fatal(err)
	}
	it := serveIOTest(t, srv)
	var seen strings.Builder
	logged := func() string { seen.WriteString(logs.Take()); return seen.String() }
	login := func(uid string) *eiotest.Client {
		t.Helper()
		c, err := it.dial(t, eiotest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Emit(EventLogin, uid); err != nil {
			t.Fatal(err)
		}
		if _, err := c.NextNamed(ctxFor(t, 5*time.Second), EventOnlineCount); err != nil {
			t.Fatal(err)
		}
		return c
	}
	down.Store(true)
	const pages = 20
	var pids []string
	for i := range pages {
		c := login(fmt.Sprint("u", i))
		pids = append(pids, connectReply(t, c.Connected)["pid"])
		c.Close() // parked (failing), and logged out (failing)
	}
	eventually(t, "every page's park and logout tried", func() bool {
		got := logged()
		return strings.Contains(got, "recovery: parking a session") && strings.Contains(got, "logout: removing presence")
	})
	for _, pid := range pids { // their recoveries fail
		c, err := it.dial(t, eiotest.Options{Auth: map[string]any{"pid": pid, "offset": "AAAAAAAA:0"}})
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	eventually(t, "the recoveries tried", func() bool { return strings.Contains(logged(), "recovery: taking a parked session") })
	down.Store(false)
	login("back").Close() // logged in, parked and logged out
	c, err := it.dial(t, eiotest.Options{Auth: map[string]any{"pid": "BBBBBBBBBBBBBBBBBBBB", "offset": "AAAAAAAA:0"}})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	eventually(t, "the store back logged", func() bool {
		got := logged()
		return strings.Count(got, "works again") >= 4
	})
	got := logged()
	for msg, want := range map[string]int{
		"login: recording presence failed":                                               1,
		"login: recording presence works again":                                          1,
		"logout: removing presence failed":                                               1,
		"logout: removing presence works again":                                          1,
		"recovery: parking a session (its page gets a normal connect) failed":            1,
		"recovery: parking a session (its page gets a normal connect) works again":       1,
		"recovery: taking a parked session (its page gets a normal connect) failed":      1,
		"recovery: taking a parked session (its page gets a normal connect) works again": 1,
		"still failing": 0,
	} {
		if n := strings.Count(got, msg); n != want {
			t.Errorf("%q logged %d times, want %d; log:\n%s", msg, n, want, got)
		}
	}
}
