package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/harness"
)

var versions = []string{"sio1", "sio2", "sio3", "sio4"}

var transportModes = []struct {
	name       string
	transports []string
	upgrade    bool // starts on polling and must reach websocket
}{
	{"websocket", []string{"websocket"}, false},
	{"polling", []string{"polling"}, false},
	{"upgrade", nil, true},
}

// TestClientMatrix: each client version over each transport logs in, is
// counted, gets a targeted push and a broadcast byte for byte, and is
// offline once it has left.
func TestClientMatrix(t *testing.T) {
	e2etest.NeedNode(t)
	for _, v := range versions {
		for _, mode := range transportModes {
			t.Run(v+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				p := e2etest.StartPushio(t)
				uid := "m-" + v + "-" + mode.name
				n := startClients(t, p.IOURL(), clientSpec{
					Version: v, Transports: mode.transports, UID: uid, Upgrade: mode.upgrade, Expect: 2,
				})
				n.waitLine("all_ready", 15*time.Second)
				want := e2etest.CountsText(1, 1)
				n.wait(5*time.Second, "update_online_count "+want, func(es []event) bool {
					return slices.Contains(payloads(es, 0, "update_online_count"), any(want))
				})
				for _, c := range n.data(0, "update_online_count") {
					if c != want && c != e2etest.CountsText(0, 0) {
						t.Errorf("update_online_count %q, want %q (or the zero counts before the first tick)", c, want)
					}
				}
				if got := e2etest.Online(t, p, uid); got != "online" {
					t.Fatalf("type=online for a logged-in client: %q", got)
				}

				if got := e2etest.Publish(t, p, uid, e2etest.RichContent); got != "ok" {
					t.Fatalf("publish to %s: %q, want ok", uid, got)
				}
				n.waitMsgs(0, 1, 5*time.Second)
				if got := e2etest.Publish(t, p, "", "to everyone: "+e2etest.RichContent); got != "ok" {
					t.Fatalf("broadcast: %q, want ok", got)
				}
				n.waitLine("done", 5*time.Second)
				n.waitExit(5 * time.Second)

				msgs := n.data(0, "new_msg")
				if want := []any{e2etest.RichEscaped, "to everyone: " + e2etest.RichEscaped}; !slices.Equal(msgs, want) {
					t.Errorf("new_msg payloads %q, want %q", msgs, want)
				}
				wantT := "websocket"
				if mode.name == "polling" {
					wantT = "polling"
				}
				if e, _ := n.last(0, "new_msg"); e.T != wantT {
					t.Errorf("pushes arrived over %q, want %q", e.T, wantT)
				}
				e2etest.WaitOnline(t, p, uid, "offline", 5*time.Second)
			})
		}
	}
}

// TestBurst: 50 clients of mixed versions each get 10 back-to-back pushes
// to their uid while 10 back-to-back broadcasts run: every message once,
// in order per client.
func TestBurst(t *testing.T) {
	e2etest.NeedNode(t)
	const clients, pushes = 50, 10
	for _, mode := range transportModes[:2] {
		t.Run(mode.name, func(t *testing.T) {
			p := e2etest.StartPushio(t)
			specs := make([]clientSpec, clients)
			for i := range specs {
				// pushes + broadcasts + the closing broadcast "end"
				specs[i] = clientSpec{Version: versions[i%len(versions)], Transports: mode.transports,
					UID: fmt.Sprintf("b%d", i), Expect: 2*pushes + 1}
			}
			n := startClients(t, p.IOURL(), specs...)
			n.waitLine("all_ready", 20*time.Second)

			errs := make(chan error, clients+1)
			for i := range specs {
				go func() { errs <- pushAll(p, specs[i].UID, pushes) }()
			}
			go func() { errs <- pushAll(p, "", pushes) }()
			for range clients + 1 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			for i := range specs {
				n.waitMsgs(i, 2*pushes, 20*time.Second)
			}
			if got := e2etest.Publish(t, p, "", "end"); got != "ok" {
				t.Fatalf("closing broadcast: %q", got)
			}
			n.waitLine("done", 10*time.Second)
			n.waitExit(5 * time.Second)

			for i, s := range specs {
				checkBurst(t, i, s.UID, n.data(i, "new_msg"), pushes)
			}
		})
	}
}

// pushAll sends n back-to-back pushes, each after the previous answer: to
// uid with content "uid#k", or broadcasts "all#k" when uid is empty.
func pushAll(p *harness.Pushio, uid string, n int) error {
	for k := range n {
		q := "type=publish&content=all%23" + fmt.Sprint(k)
		want := "ok"
		if uid != "" {
			q = "type=publish&to=" + uid + "&content=" + uid + "%23" + fmt.Sprint(k)
		}
		status, body, _, err := e2etest.Send(http.MethodGet, p.APIURL()+"/?"+q, "", "")
		if err != nil {
			return err
		}
		if status != http.StatusOK || body != want {
			return fmt.Errorf("GET /?%s: %d %q, want 200 %q", q, status, body, want)
		}
	}
	return nil
}

// checkBurst: client i got its own pushes and the broadcasts, each once
// and in order, then "end", and nothing else.
func checkBurst(t *testing.T, i int, uid string, msgs []any, n int) {
	t.Helper()
	if len(msgs) == 0 {
		t.Errorf("client %d (%s) got nothing", i, uid)
		return
	}
	var own, all []any
	for _, m := range msgs[:len(msgs)-1] {
		if s, _ := m.(string); strings.HasPrefix(s, "all#") {
			all = append(all, m)
		} else {
			own = append(own, m)
		}
	}
	var wantOwn, wantAll []any
	for k := range n {
		wantOwn = append(wantOwn, fmt.Sprintf("%s#%d", uid, k))
		wantAll = append(wantAll, fmt.Sprintf("all#%d", k))
	}
	if !slices.Equal(own, wantOwn) || !slices.Equal(all, wantAll) || msgs[len(msgs)-1] != "end" {
		t.Errorf("client %d (%s) got %q,\nwant its %q and %q interleaved, then \"end\"", i, uid, msgs, wantOwn, wantAll)
	}
}
