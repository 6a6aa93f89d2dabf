package server

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pushio/pushio/push"
)

// TestSend: one Send of several requests on a single node: a JSON value
// under an event of its own to a page by its client id, an exclusion, a
// kick with its message first, each with its reach; a kick that names no
// page is refused with nothing sent.
func TestSend(t *testing.T) {
	t.Parallel()
	it := startIOTest(t, Options{})
	a, b := it.connect(t), it.connect(t)
	a.login("u")
	b.login("u")
	ids, more, err := it.Clients(t.Context(), "u", "", 10)
	if err != nil || more || len(ids) != 2 {
		t.Fatalf("Clients(u) = %q, %v, %v", ids, more, err)
	}
	// Which id is a's: the one a JSON push to it reaches.
	ctx := ctxFor(t, 5*time.Second)
	raw, _ := push.ParseJSON(`{"k":[1,"x"],"n":null}`)
	reach, err := it.Send(ctx, []push.Request{
		{Message: &push.Message{Event: "order.paid", JSON: raw}, Targets: push.Targets{Clients: []string{ids[0], "gone"}}},
		{Message: &push.Message{Text: "not to the first"}, Targets: push.Targets{UIDs: []string{"u", "v"}, Exclude: ids[:1]}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(reach) != 2 || !slices.Equal(reach[0].Clients, []bool{true, false}) || !slices.Equal(reach[1].UIDs, []bool{true, false}) {
		t.Fatalf("reach = %+v", reach)
	}
	first, second := a, b
	e, err := a.Next("order.paid", time.Second)
	if err != nil {
		first, second = b, a
		e = b.nextEvent("order.paid")
	}
	if e.Raw != `42["order.paid",{"k":[1,"x"],"n":null}]` {
		t.Errorf("the JSON push arrived as %s", e.Raw)
	}
	if got := second.next(EventNewMsg); got != "not to the first" {
		t.Errorf("the other page got %q", got)
	}
	if err := first.None(EventNewMsg, 200*time.Millisecond); err != nil {
		t.Errorf("the excluded page: %v", err)
	}

	if _, err := it.Send(ctx, []push.Request{{Message: &push.Message{Text: "x"}, Kick: true}}); !errors.Is(err, errKickAll) {
		t.Fatalf("a kick of no page: %v, want errKickAll", err)
	}
	reach, err = it.Send(ctx, []push.Request{{Message: &push.Message{Event: "logout", Text: "bye"}, Targets: push.Targets{Clients: ids[:1]}, Kick: true}})
	if err != nil || !slices.Equal(reach[0].Clients, []bool{true}) {
		t.Fatalf("kick: %+v, %v", reach, err)
	}
	if got := first.next("logout"); got != "bye" {
		t.Errorf("the kicked page got logout %q", got)
	}
	eventually(t, "the kicked page disconnected", func() bool { return !first.Connected() })
	eventually(t, "the kicked page out of the presence", func() bool {
		r, err := it.Reach(t.Context(), push.Targets{Clients: ids[:1]})
		return err == nil && !r.Clients[0]
	})
	if !second.Connected() || !it.online(t, "u") {
		t.Error("the other page of u went with the kicked one")
	}
}
