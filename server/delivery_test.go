package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/siotest"
)

// TestMalformedPackets sends what no client should: each bad frame may
// cost its sender the connection, never the server or anyone else.
func TestMalformedPackets(t *testing.T) {
	t.Parallel()
	const maxPayload = 4096
	ts := startPushio(t, Options{Connection: settings.Connection{MaxPayload: maxPayload}})
	victim := ts.connect(t)
	victim.login("victim")

	text, binary := websocket.TextMessage, websocket.BinaryMessage
	frames := []struct {
		name string
		kind int
		data string
	}{
		{"garbage", text, "garbage"},
		{"empty", text, ""},
		{"message without packet", text, "4"},
		{"event without data", text, "42"},
		{"cut JSON", text, "42["},
		{"object instead of array", text, "42{}"},
		{"empty array", text, "42[]"},
		{"number as event name", text, "42[1,2]"},
		{"unterminated event", text, `42["login"`},
		{"number out of range", text, `42["login",1e999]`},
		{"invalid UTF-8", text, "42[\"login\",\"\xff\xfe\"]"},
		{"unknown Socket.IO type", text, "4x"},
		{"ack for nothing", text, `43["x"]`},
		{"connect error from a client", text, `44{"message":"x"}`},
		{"binary event without attachments", text, `451-["login",{"_placeholder":true,"num":0}]`},
		{"binary ack without attachments", text, `461-[{"_placeholder":true,"num":0}]`},
		{"Socket.IO type out of range", text, "49"},
		{"unknown namespace", text, "40/nope,"},
		{"event on a namespace never joined", text, `42/nope,["login","x"]`},
		{"second connect", text, "40"},
		{"client-sent new_msg is not relayed", text, `42["new_msg","spoof"]`},
		{"client-sent update_online_count is not relayed", text, `42["update_online_count","spoof"]`},
		{"ack id overflow", text, `4299999999999999999999["login","x"]`},
		{"deep nesting", text, "42[\"login\"," + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + "]"},
		{"unknown Engine.IO type", text, "99"},
		{"open from a client", text, "0"},
		{"ping from a client", text, "2"},
		{"pong without ping", text, "3"},
		{"upgrade", text, "5"},
		{"noop", text, "6"},
		{"close", text, "1"},
		{"disconnect from the namespace", text, "41"},
		{"binary garbage", binary, "\x00\xff\x42garbage"},
		{"binary frame before an event", binary, `42["login","x"]`},
		{"over max_payload", text, `42["login","` + strings.Repeat("x", 2*maxPayload) + `"]`},
	}
	for i, f := range frames {
		t.Run(f.name, func(t *testing.T) {
			bad := ts.connect(t)
			bad.login(fmt.Sprint("bad-", i))
			_ = bad.Write(f.kind, []byte(f.data)) // the server may have closed it already

			msg := "after " + f.name
			if got := ts.publish(t, "victim", msg); got != "ok" {
				t.Errorf("publish to the victim = %s, want ok", got)
			}
			if got := victim.next(EventNewMsg); got != msg {
				t.Errorf("victim got new_msg %q, want %q", got, msg)
			}
			if got := ts.publish(t, "", "everyone "+f.name); got != "ok" {
				t.Errorf("broadcast = %s, want ok", got)
			}
			if got := victim.next(EventNewMsg); got != "everyone "+f.name {
				t.Errorf("victim got new_msg %q, want %q", got, "everyone "+f.name)
			}
			newcomer := ts.connect(t)
			newcomer.login("newcomer")
			newcomer.Drop()
		})
	}
	// Every bad client and newcomer is gone, whichever way it went: only
	// the victim counts.
	eventually(t, "only the victim is counted", func() bool { return ts.counts(t) == adapter.Counts{UIDs: 1, Pages: 1} })
}

// TestBurst sends back-to-back targeted publishes to many clients at once,
// then back-to-back broadcasts: each arrives exactly once, in order.
func TestBurst(t *testing.T) {
	t.Parallel()
	const clients, each = 50, 10
	ts := startPushio(t, Options{})
	cs := make([]*client, clients)
	for i := range cs {
		cs[i] = ts.connect(t)
		cs[i].login(fmt.Sprint("burst-", i))
	}

	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for i := range clients {
		wg.Go(func() {
			for j := range each {
				q := url.Values{"type": {"publish"}, "to": {fmt.Sprint("burst-", i)}, "content": {fmt.Sprintf("%d-%d", i, j)}}
				if got, err := ts.ask(t.Context(), q); err != nil || got != "ok" {
					errs <- fmt.Errorf("publish %d-%d: %q, %v", i, j, got, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for k := range each {
		if got := ts.publish(t, "", fmt.Sprint("all-", k)); got != "ok" {
			t.Errorf("broadcast %d = %s, want ok", k, got)
		}
	}
	ts.publish(t, "", "end")

	for i, c := range cs {
		var want []string
		for j := range each {
			want = append(want, fmt.Sprintf("%d-%d", i, j))
		}
		for k := range each {
			want = append(want, fmt.Sprint("all-", k))
		}
		want = append(want, "end") // nothing more before the last broadcast
		for n, w := range want {
			if got := c.next(EventNewMsg); got != w {
				t.Fatalf("client %d, message %d: got %q, want %q", i, n, got, w)
			}
		}
	}
}

// TestNonASCIIContent checks that text reaches clients as pure ASCII JSON,
// non-ASCII runes \u-escaped as PHP's json_encode writes them, and decodes
// to the same string.
func TestNonASCIIContent(t *testing.T) {
	t.Parallel()
	ts := startPushio(t, Options{})
	c := ts.connect(t)
	c.must(c.Emit(EventLogin, "用户"))
	counts := c.nextEvent(EventOnlineCount)
	content := "你好 😀 é"
	if got := ts.publish(t, "用户", content); got != "ok" {
		t.Fatalf("publish = %s, want ok", got)
	}
	msg := c.nextEvent(EventNewMsg)
	if want := `42["new_msg","\u4f60\u597d \ud83d\ude00 \u00e9"]`; msg.Raw != want {
		t.Errorf("new_msg frame = %s, want %s", msg.Raw, want)
	}
	for _, tt := range []struct {
		ev   siotest.Event
		want string
	}{{msg, content}, {counts, countsText(0, 0)}} {
		for _, b := range []byte(tt.ev.Raw) {
			if b >= 0x80 {
				t.Errorf("frame %q is not ASCII", tt.ev.Raw)
				break
			}
		}
		var got string
		if err := json.Unmarshal(tt.ev.Args[0], &got); err != nil || got != tt.want {
			t.Errorf("frame %s decodes to %q (%v), want %q", tt.ev.Raw, got, err, tt.want)
		}
	}
}
