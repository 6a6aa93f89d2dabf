package server

import (
	"slices"
	"testing"

	"github.com/pushio/pushio/adapter"
)

// TestLocalActsOnTheSocketsItsSelectorPicks is the other instances'
// requests as they reach this one (adapter.Local): each acts on the
// sockets its rooms pick, and on no other.
func TestLocalActsOnTheSocketsItsSelectorPicks(t *testing.T) {
	ts := startPushio(t, Options{})
	blue, red := ts.connect(t), ts.connect(t)
	blue.login("blue")
	red.login("red")
	l := local{ts.Server}

	t.Run("fetchSockets", func(t *testing.T) {
		socks := l.Fetch("/", adapter.Selector{Rooms: []string{"blue", "red"}})
		var rooms [][]string
		for _, s := range socks {
			rooms = append(rooms, s.Rooms)
		}
		if len(socks) != 2 || !slices.ContainsFunc(rooms, func(r []string) bool { return slices.Contains(r, "blue") }) ||
			!slices.ContainsFunc(rooms, func(r []string) bool { return slices.Contains(r, "red") }) {
			t.Errorf("Fetch: %d sockets, rooms %v, want one in blue and one in red", len(socks), rooms)
		}
		if got := l.Fetch("/", adapter.Selector{Rooms: []string{"blue"}, Except: []string{"blue"}}); len(got) != 0 {
			t.Errorf("Fetch with the room excepted: %d sockets, want 0", len(got))
		}
	})
	t.Run("a broadcast to overlapping rooms arrives once", func(t *testing.T) {
		l.Join("/", adapter.Selector{Rooms: []string{"blue"}}, []string{"both"})
		l.Deliver(adapter.Packet{Type: packetEvent, Nsp: "/", Data: []any{EventNewMsg, "once"}},
			adapter.Selector{Rooms: []string{"both", "blue"}})
		if got := blue.next(EventNewMsg); got != "once" {
			t.Errorf("new_msg = %q, want once", got)
		}
		blue.must(blue.None(EventNewMsg, quiet))
		red.must(red.None(EventNewMsg, quiet))
	})
	t.Run("disconnectSockets", func(t *testing.T) {
		l.Disconnect("/", adapter.Selector{Rooms: []string{"red"}}, true)
		eventually(t, "red's socket is disconnected", func() bool { return !red.Connected() })
		if !blue.Connected() {
			t.Error("blue's socket, not in red, was disconnected")
		}
		if got := ts.publish(t, "blue", "still here"); got != "ok" {
			t.Errorf("publish to blue = %s, want ok", got)
		}
		if got := blue.next(EventNewMsg); got != "still here" {
			t.Errorf("new_msg = %q, want still here", got)
		}
	})
}
