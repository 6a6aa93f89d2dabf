package redis

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/push"
)

// testLocal is the server side of a Fanout in these tests: it records what
// the other servers asked of it and holds one socket, "sock-<name>", in
// room "r1".
type testLocal struct {
	name string
	mu   sync.Mutex
	got  []adapter.Packet
	sels []adapter.Selector
	// joined and disconnected record the requests applied.
	joined       []string
	disconnected int
	// events is what Deliver (the last argument) and Disconnect
	// ("disconnect") were called with, in order.
	events []string
}

func (l *testLocal) Deliver(p adapter.Packet, sel adapter.Selector) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, p)
	l.sels = append(l.sels, sel)
	if len(p.Data) > 0 {
		l.events = append(l.events, fmt.Sprint(p.Data[len(p.Data)-1]))
	}
}

func (l *testLocal) Has(room string) bool { return room == "r1" || room == "sock-"+l.name }

func (l *testLocal) Join(_ string, _ adapter.Selector, rooms []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.joined = append(l.joined, rooms...)
}

func (l *testLocal) Leave(string, adapter.Selector, []string) {}

func (l *testLocal) Disconnect(string, adapter.Selector, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.disconnected++
	l.events = append(l.events, "disconnect")
}

func (l *testLocal) Fetch(_ string, sel adapter.Selector) []adapter.SocketInfo {
	if len(sel.Rooms) > 0 && !slices.Contains(sel.Rooms, "r1") {
		return nil
	}
	return []adapter.SocketInfo{{ID: "sock-" + l.name, Rooms: []string{"sock-" + l.name, "r1"}, Addr: "127.0.0.1", Issued: time.Now()}}
}

func (l *testLocal) Rooms(string) []string { return []string{"sock-" + l.name, "r1"} }

func (l *testLocal) packets() []adapter.Packet {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.got)
}

func startFanout(t *testing.T, url, prefix, name string) (*Fanout, *testLocal) {
	t.Helper()
	c, err := NewClient(url, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l := &testLocal{name: name}
	f, err := NewFanout(c, FanoutOptions{Prefix: prefix, UID: name, Timeout: time.Second, RequestsTimeout: 2 * time.Second}, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = f.Close()
		_ = c.Close()
	})
	return f, l
}

// arrival gives, for each wanted key in order, the index of the element
// with that key among those that arrived (keys). From a Redis Cluster
// they may arrive in any order: publishes on two channels reach a
// subscriber on another node through two links of the cluster bus.
// Elsewhere the order is kept, and the test checks it.
func arrival(d redistest.Deployment, keys, want []string) []int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	if _, ok := d.(*redistest.Cluster); !ok {
		return idx
	}
	for j, w := range want {
		if k := slices.Index(keys, w); k >= 0 && j < len(idx) {
			idx[j] = k
		}
	}
	return idx
}

// permute returns s's elements in the order idx gives.
func permute[E any](s []E, idx []int) []E {
	out := make([]E, len(idx))
	for j, i := range idx {
		out[j] = s[i]
	}
	return out
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestFanoutPublishesInNodeFormat(t *testing.T) {
	redistest.Each(t, testFanoutPublishesInNodeFormat)
}

func testFanoutPublishesInNodeFormat(t *testing.T, srv redistest.Deployment) {
	prefix := redistest.Prefix(t)
	a, _ := startFanout(t, srv.URL(), prefix, "server-a")
	c, err := NewClient(srv.URL(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxFor(t)
	sub := c.PSubscribe(ctx, prefix+"#/#*")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}
	if err := a.Broadcast(ctx, adapter.Packet{Type: 2, Data: []any{"everyone", "x"}}, adapter.Selector{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Broadcast(ctx, adapter.Packet{Type: 2, Data: []any{"one-room", "y"}}, adapter.Selector{Rooms: []string{"r1"}}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		channel string
		data    []any
		rooms   []any
	}{
		{prefix + "#/#", []any{"everyone", "x"}, []any{}},
		{prefix + "#/#r1#", []any{"one-room", "y"}, []any{"r1"}},
	}
	msgs := make([]*goredis.Message, len(tests))
	for i := range msgs {
		if msgs[i], err = sub.ReceiveMessage(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var keys, want []string
	for i, tt := range tests {
		keys, want = append(keys, msgs[i].Channel), append(want, tt.channel)
	}
	msgs = permute(msgs, arrival(srv, keys, want))
	for i, tt := range tests {
		msg := msgs[i]
		if msg.Channel != tt.channel {
			t.Errorf("published on %q, want %q", msg.Channel, tt.channel)
		}
		var got []any
		if err := decodeMsgpack([]byte(msg.Payload), &got); err != nil {
			t.Fatal(err)
		}
		// [uid, {type, data, nsp}, {rooms, except, flags}], as Node writes it.
		if len(got) != 3 {
			t.Fatalf("message = %#v, want [uid, packet, opts]", got)
		}
		packet, _ := got[1].(map[string]any)
		opts, _ := got[2].(map[string]any)
		data, _ := packet["data"].([]any)
		rooms, _ := opts["rooms"].([]any)
		except, isList := opts["except"].([]any)
		if got[0] != "server-a" || packet["type"] != int64(2) || packet["nsp"] != "/" ||
			!slices.Equal(data, tt.data) || !slices.Equal(rooms, tt.rooms) || !isList || len(except) != 0 {
			t.Errorf("message = %#v, want [server-a {type 2, data %v, nsp /} {rooms %v, except []}]", got, tt.data, tt.rooms)
		}
	}
}

func TestFanoutClusterOperations(t *testing.T) {
	redistest.Each(t, testFanoutClusterOperations)
}

func testFanoutClusterOperations(t *testing.T, srv redistest.Deployment) {
	prefix := redistest.Prefix(t)
	a, la := startFanout(t, srv.URL(), prefix, "a")
	b, lb := startFanout(t, srv.URL(), prefix, "b")
	ctx := ctxFor(t)

	t.Run("a broadcast reaches the other server once, not its own", func(t *testing.T) {
		sel := adapter.Selector{Rooms: []string{"r1", "r2"}, Except: []string{"x"}}
		if err := a.Broadcast(ctx, adapter.Packet{Type: 2, Data: []any{"ev", "hi"}}, sel); err != nil {
			t.Fatal(err)
		}
		eventually.True(t, 5*time.Second, "B gets the broadcast", func() bool { return len(lb.packets()) == 1 })
		time.Sleep(100 * time.Millisecond)
		got := lb.packets()
		lb.mu.Lock()
		gotSel := lb.sels[0]
		lb.mu.Unlock()
		if len(got) != 1 || got[0].Nsp != "/" || !slices.Equal(got[0].Data, []any{"ev", "hi"}) ||
			!slices.Equal(gotSel.Rooms, sel.Rooms) || !slices.Equal(gotSel.Except, sel.Except) {
			t.Errorf("B got %+v %+v", got, gotSel)
		}
		if n := len(la.packets()); n != 0 {
			t.Errorf("A got its own broadcast back %d times", n)
		}
	})
	t.Run("a room nobody is in is skipped undecoded", func(t *testing.T) {
		before := len(lb.packets())
		if err := a.Broadcast(ctx, adapter.Packet{Type: 2, Data: []any{"ev"}}, adapter.Selector{Rooms: []string{"nobody"}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(lb.packets()); n != before {
			t.Errorf("B delivered a broadcast to a room it has nobody in")
		}
	})
	t.Run("serverCount", func(t *testing.T) {
		// Asked several times: a Redis Cluster client may send each ask
		// to another node.
		for range 10 {
			if n, err := b.ServerCount(ctx); err != nil || n != 2 {
				t.Fatalf("ServerCount = %d, %v; want 2", n, err)
			}
		}
	})
	t.Run("fetchSockets sees the other server's sockets", func(t *testing.T) {
		socks, err := b.FetchSockets(ctx, adapter.Selector{Rooms: []string{"r1"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(socks) != 1 || socks[0].ID != "sock-a" || !slices.Contains(socks[0].Rooms, "r1") {
			t.Errorf("FetchSockets = %+v, want A's one socket in r1", socks)
		}
	})
	t.Run("socketsJoin on B reaches A's sockets", func(t *testing.T) {
		if err := b.AddSockets(ctx, adapter.Selector{}, []string{"joined"}); err != nil {
			t.Fatal(err)
		}
		eventually.True(t, 5*time.Second, "A applies the join", func() bool {
			la.mu.Lock()
			defer la.mu.Unlock()
			return slices.Contains(la.joined, "joined")
		})
	})
	t.Run("disconnectSockets on B closes A's socket", func(t *testing.T) {
		if err := b.DisconnectSockets(ctx, adapter.Selector{Rooms: []string{"r1"}}, true); err != nil {
			t.Fatal(err)
		}
		eventually.True(t, 5*time.Second, "A disconnects", func() bool {
			la.mu.Lock()
			defer la.mu.Unlock()
			return la.disconnected == 1
		})
	})
	t.Run("a malformed message is ignored", func(t *testing.T) {
		c, err := NewClient(srv.URL(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		before := len(lb.packets())
		// Not msgpack, and msgpack of a few bytes declaring 4G items (the
		// library sized a slice by it: out of memory).
		for _, msg := range []string{"\xc1 not msgpack", "\x93\xa1s\x81\xa4data\xdd\xff\xff\xff\xf0\x01\xc0",
			"\x82\xa4type\x07\xa4data\xdd\xff\xff\xff\xf0"} {
			for _, ch := range []string{prefix + "#/#", prefix + "-request#/#"} {
				if err := c.Publish(ctx, ch, msg).Err(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := a.Broadcast(ctx, adapter.Packet{Type: 2, Data: []any{"after"}}, adapter.Selector{}); err != nil {
			t.Fatal(err)
		}
		eventually.True(t, 5*time.Second, "the broadcast after it arrives", func() bool { return len(lb.packets()) == before+1 })
	})
}

func TestFanoutRedisAway(t *testing.T) {
	redistest.Each(t, testFanoutRedisAway)
}

func testFanoutRedisAway(t *testing.T, srv redistest.Deployment) {
	a, _ := startFanout(t, srv.URL(), redistest.Prefix(t), "a")
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	if err := a.Broadcast(ctx, adapter.Packet{Type: 2, Data: []any{"x"}}, adapter.Selector{}); err == nil {
		t.Error("Broadcast with Redis down returned no error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Broadcast with Redis down took %s", d)
	}
}

func TestFanoutSend(t *testing.T) {
	redistest.Each(t, testFanoutSend)
}

func testFanoutSend(t *testing.T, srv redistest.Deployment) {
	prefix := redistest.Prefix(t)
	pa := newTestPresence(t, srv.URL(), prefix, "a", 10*time.Second)
	join(t, pa, "u1") // page a-c1
	c, err := NewClient(srv.URL(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	la := &testLocal{name: "a"}
	a, err := NewFanout(c, FanoutOptions{Prefix: prefix, UID: "a", Timeout: time.Second, Presence: pa}, la)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, lb := startFanout(t, srv.URL(), prefix, "b")
	ctx := ctxFor(t)
	pkt := func(s string) *adapter.Packet { return &adapter.Packet{Type: 2, Data: []any{"new_msg", s}} }

	reach, err := a.Send(ctx, []adapter.Outgoing{
		{Packet: pkt("hi"), Targets: push.Targets{UIDs: []string{"u1", "u2"}, Clients: []string{"x", "a-c1"}}},
		{Packet: pkt("all")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(reach) != 2 || !slices.Equal(reach[0].UIDs, []bool{true, false}) || !slices.Equal(reach[0].Clients, []bool{false, true}) ||
		len(reach[1].UIDs)+len(reach[1].Clients) != 0 {
		t.Errorf("reach = %+v, want u1 and a-c1 online, nothing for the broadcast", reach)
	}
	// Two rooms go on the namespace's channel, one on the room's own.
	if _, err := a.Send(ctx, []adapter.Outgoing{{Packet: pkt("again"), Targets: push.Targets{UIDs: []string{"r1"}, Exclude: []string{"sock-b"}}}}); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, 5*time.Second, "B gets the three broadcasts", func() bool { return len(lb.packets()) == 3 })
	lb.mu.Lock()
	sels := slices.Clone(lb.sels)
	lb.mu.Unlock()
	got := lb.packets()
	var keys []string
	for _, p := range got {
		keys = append(keys, fmt.Sprint(p.Data[len(p.Data)-1]))
	}
	order := arrival(srv, keys, []string{"hi", "all", "again"})
	got, sels = permute(got, order), permute(sels, order)
	if !slices.Equal(got[0].Data, []any{"new_msg", "hi"}) || !slices.Equal(sels[0].Rooms, []string{"u1", "u2", "x", "a-c1"}) ||
		!slices.Equal(got[1].Data, []any{"new_msg", "all"}) || len(sels[1].Rooms) != 0 ||
		!slices.Equal(got[2].Data, []any{"new_msg", "again"}) || !slices.Equal(sels[2].Rooms, []string{"r1"}) ||
		!slices.Equal(sels[2].Except, []string{"sock-b"}) {
		t.Errorf("B got %+v for %+v", got, sels)
	}

	// Kicks: the message goes before the disconnection, on every
	// topology; a kick without a message only disconnects.
	if _, err := a.Send(ctx, []adapter.Outgoing{
		{Packet: pkt("bye"), Targets: push.Targets{UIDs: []string{"r1"}}, Kick: true},
		{Targets: push.Targets{Clients: []string{"sock-b"}}, Kick: true},
	}); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, 5*time.Second, "B kicked twice", func() bool {
		lb.mu.Lock()
		defer lb.mu.Unlock()
		return lb.disconnected == 2
	})
	lb.mu.Lock()
	events := slices.Clone(lb.events[3:])
	lb.mu.Unlock()
	if !slices.Equal(events, []string{"bye", "disconnect", "disconnect"}) {
		t.Errorf("B's kicks: %q, want bye, disconnect, disconnect", events)
	}
	if n := len(la.packets()); n != 0 {
		t.Errorf("A got its own broadcast back %d times", n)
	}

	srv.Stop()
	// Within a call timeout, as the server gives it.
	gone, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := a.Send(gone, []adapter.Outgoing{{Packet: pkt("lost"), Targets: push.Targets{UIDs: []string{"u1"}}}}); err == nil {
		t.Error("Send with Redis gone returned no error")
	}
}

func TestFanoutSendHold(t *testing.T) {
	redistest.Each(t, testFanoutSendHold)
}

// testFanoutSendHold: the hold of a push reads its uids' presence and
// holds for the offline one, in Send's pipeline; the other server gets
// the push with its id and ttl. After a SCRIPT FLUSH the hold still happens.
func testFanoutSendHold(t *testing.T, srv redistest.Deployment) {
	prefix := redistest.Prefix(t)
	pa := newTestPresence(t, srv.URL(), prefix, "a", 10*time.Second)
	join(t, pa, "u1")
	c, err := NewClient(srv.URL(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := NewFanout(c, FanoutOptions{Prefix: prefix, UID: "a", Timeout: time.Second, Presence: pa}, &testLocal{name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, lb := startFanout(t, srv.URL(), prefix, "b")
	ctx := ctxFor(t)
	read := time.UnixMicro(time.Now().UnixMicro())
	send := func(id string, ctx context.Context) ([]push.Reach, *adapter.Hold, error) {
		h := &adapter.Hold{Held: adapter.Held{ID: id, Text: []byte(`2["new_msg","` + id + `"]`)}, TTL: time.Minute, Read: read}
		reach, err := a.Send(ctx, []adapter.Outgoing{
			{Packet: &adapter.Packet{Type: 2, Data: []any{"new_msg", id}, ID: id, TTL: time.Minute, Read: read}, Targets: push.Targets{UIDs: []string{"u1", "u2"}, Clients: []string{"nobody"}}, Hold: h},
			{Packet: &adapter.Packet{Type: 2, Data: []any{"new_msg", "plain"}}, Targets: push.Targets{UIDs: []string{"r1"}}},
		})
		return reach, h, err
	}
	reach, h, err := send("id1", ctx)
	if err != nil || h.Result.Dropped != 0 || !slices.Equal(reach[0].UIDs, []bool{true, false}) || !slices.Equal(reach[0].Clients, []bool{false}) ||
		!slices.Equal(h.Result.Held, []string{"u2"}) {
		t.Fatalf("Send: reach %+v hold %+v err %v, want uids [true false], clients [false], held u2", reach, h.Result, err)
	}
	eventually.True(t, 5*time.Second, "B gets both pushes", func() bool { return len(lb.packets()) == 2 })
	if got := lb.packets()[0]; got.ID != "id1" || got.TTL != time.Minute || !got.Read.Equal(read) || !slices.Equal(got.Data, []any{"new_msg", "id1"}) {
		t.Errorf("B got %+v, want the push with its id, ttl and read time %v", got, read)
	}
	if got := lb.packets()[1]; got.ID != "" || got.TTL != 0 || !got.Read.IsZero() {
		t.Errorf("B got an id %q, ttl %v, read %v for a push without a hold", got.ID, got.TTL, got.Read)
	}
	forEachMaster(t, c, func(node goredis.Cmdable) { node.ScriptFlush(ctx) })
	if _, _, err := send("id2", ctx); err != nil {
		t.Fatalf("Send after SCRIPT FLUSH: %v", err)
	}
	if n, err := pa.HeldCount(ctx, "u2"); n != 2 || err != nil {
		t.Errorf("u2 holds %d (%v), want 2", n, err)
	}
	if n, _ := pa.HeldCount(ctx, "u1"); n != 0 {
		t.Errorf("online u1 holds %d", n)
	}
	srv.Stop()
	gone, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, _, err := send("id3", gone); err == nil {
		t.Error("Send with Redis gone returned no error")
	}
}

// forEachMaster calls f with each master of c's deployment (c itself
// unless it is a Redis Cluster client).
func forEachMaster(t *testing.T, c goredis.UniversalClient, f func(goredis.Cmdable)) {
	t.Helper()
	cc, ok := c.(*goredis.ClusterClient)
	if !ok {
		f(c)
		return
	}
	if err := cc.ForEachMaster(ctxFor(t), func(_ context.Context, node *goredis.Client) error { f(node); return nil }); err != nil {
		t.Fatal(err)
	}
}
