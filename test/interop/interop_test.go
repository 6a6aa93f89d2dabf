package interop

import (
	"bufio"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/clustertest"
	"github.com/pushio/pushio/internal/test/need"
)

func TestMain(m *testing.M) {
	clustertest.QuietRedis()
	os.Exit(m.Run())
}

// peer is peer.js running under node: a Node socket.io server with
// @socket.io/redis-adapter, an emitter, and socket.io-client pages.
type peer struct {
	in    io.WriteCloser
	lines chan map[string]any
}

func startPeer(t *testing.T, redisURL, prefix string) *peer {
	t.Helper()
	need.Program(t, "node")
	if _, err := os.Stat("node_modules/@socket.io/redis-adapter"); err != nil {
		need.Missing(t, "test/interop/node_modules (npm ci)")
	}
	cmd := exec.Command("node", "peer.js")
	cmd.Env = append(os.Environ(), "REDIS_URL="+redisURL, "PREFIX="+prefix)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &peer{in: in, lines: make(chan map[string]any, 100)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil {
				p.lines <- line
			}
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	p.await(t, "start-up", func(l map[string]any) bool { return l["ready"] == true })
	return p
}

// do sends a command and waits for its "done" line.
func (p *peer) do(t *testing.T, cmd map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		t.Fatalf("peer: writing %s: %v", b, err)
	}
	return p.await(t, cmd["cmd"].(string), func(l map[string]any) bool { return l["done"] == cmd["cmd"] })
}

// await returns the next line that match accepts, skipping others.
func (p *peer) await(t *testing.T, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("peer exited while waiting for %s", what)
			}
			if match(l) {
				return l
			}
		case <-timeout:
			t.Fatalf("peer: no %s within 10s", what)
		}
	}
}

// noMore checks that no further new_msg reaches the Node page of uid
// within a short quiet period.
func (p *peer) noMore(t *testing.T, uid string) {
	t.Helper()
	quiet := time.After(300 * time.Millisecond)
	for {
		select {
		case l, ok := <-p.lines:
			if ok && l["event"] == "new_msg" && l["uid"] == uid {
				t.Fatalf("Node page %s got another new_msg %v", uid, l["args"])
			}
		case <-quiet:
			return
		}
	}
}

// newMsg waits for new_msg at the Node page of uid and checks its text;
// the await skips unrelated lines.
func (p *peer) newMsg(t *testing.T, uid, want string) {
	t.Helper()
	l := p.await(t, "new_msg for "+uid, func(l map[string]any) bool { return l["event"] == "new_msg" && l["uid"] == uid })
	if args, _ := l["args"].([]any); len(args) != 1 || args[0] != want {
		t.Fatalf("Node page %s got new_msg %v, want [%q]", uid, l["args"], want)
	}
}

func TestRedisEmitterPushesIntoPushio(t *testing.T) {
	redis, prefix, nodes := clustertest.StartCluster(t, 2, 15*time.Second)
	a, b := nodes[0], nodes[1]
	alice := clustertest.Login(t, a.IO, "alice")
	bob := clustertest.Login(t, b.IO, "bob")
	node := startPeer(t, redis.URL(), prefix)

	node.do(t, map[string]any{"cmd": "emitter", "room": "alice", "event": "new_msg", "args": []any{"to alice"}})
	clustertest.ReceiveOnce(t, alice, "alice on pushio A", "to alice")
	node.do(t, map[string]any{"cmd": "emitter", "event": "new_msg", "args": []any{"to everyone"}})
	clustertest.ReceiveOnce(t, alice, "alice on pushio A", "to everyone")
	clustertest.ReceiveOnce(t, bob, "bob on pushio B", "to everyone")
}

func TestNodeServerSharesTheCluster(t *testing.T) {
	redis, prefix, nodes := clustertest.StartCluster(t, 2, 15*time.Second)
	a, b := nodes[0], nodes[1]
	alice := clustertest.Login(t, a.IO, "alice")
	node := startPeer(t, redis.URL(), prefix)
	node.do(t, map[string]any{"cmd": "client", "uid": "carol"})

	t.Run("push via pushio reaches a Node page", func(t *testing.T) {
		// Presence is pushio's own: a page on the Node server counts as
		// offline, but the message is sent, as it always is.
		clustertest.WantAnswer(t, b.API, "type=publish&to=carol&content=%3Chi+carol%3E", "offline")
		node.newMsg(t, "carol", "&lt;hi carol&gt;")
		clustertest.WantAnswer(t, a.API, "type=publish&content=all", "ok")
		node.newMsg(t, "carol", "all")
		node.noMore(t, "carol")
		clustertest.ReceiveOnce(t, alice, "alice on pushio A", "all")
	})
	t.Run("Node io.to(room).emit reaches a pushio page", func(t *testing.T) {
		node.do(t, map[string]any{"cmd": "emit", "room": "alice", "event": "new_msg", "args": []any{"from node"}})
		clustertest.ReceiveOnce(t, alice, "alice on pushio A", "from node")
	})
	t.Run("Node counts and fetches pushio's sockets", func(t *testing.T) {
		if n := node.do(t, map[string]any{"cmd": "serverCount"})["n"]; n != 3.0 {
			t.Errorf("Node's serverCount = %v, want 3 (itself and two pushio)", n)
		}
		got := node.do(t, map[string]any{"cmd": "fetch", "room": "alice"})
		if got["error"] != nil {
			t.Fatalf("Node's fetchSockets failed: %v", got["error"])
		}
		ids, _ := got["ids"].([]any)
		rooms, _ := got["rooms"].([]any)
		if len(ids) != 1 || len(rooms) != 1 || !slices.Contains(rooms[0].([]any), any("alice")) {
			t.Errorf("Node's fetchSockets in room alice = %v, want alice's one pushio socket", got)
		}
	})
	t.Run("events, JSON values and kicks via pushio reach a Node page", func(t *testing.T) {
		clustertest.WantAnswer(t, b.API, "type=publish&to=carol&event=order.paid&json="+
			url.QueryEscape(`{"id":7,"tags":["a"],"ok":true,"n":null,"price":9.5}`), "offline")
		l := node.await(t, "order.paid for carol", func(l map[string]any) bool { return l["event"] == "order.paid" })
		want := []any{map[string]any{"id": 7.0, "tags": []any{"a"}, "ok": true, "n": nil, "price": 9.5}}
		if !reflect.DeepEqual(l["args"], want) {
			t.Errorf("Node page got order.paid %#v, want the object %#v", l["args"], want)
		}
		clustertest.WantAnswer(t, a.API, "type=kick&uid=carol&event=logout&content=bye", "offline")
		l = node.await(t, "logout or disconnect for carol", func(l map[string]any) bool {
			return l["event"] == "logout" || l["event"] == "disconnect"
		})
		if l["event"] != "logout" || !reflect.DeepEqual(l["args"], []any{"bye"}) {
			t.Fatalf("Node page got %v first, want logout bye before its disconnection", l)
		}
		l = node.await(t, "disconnect for carol", func(l map[string]any) bool { return l["event"] == "disconnect" })
		if !reflect.DeepEqual(l["args"], []any{"io server disconnect"}) {
			t.Errorf("Node page disconnected with %v, want io server disconnect", l["args"])
		}
		if alice.Connected() != true {
			t.Error("the kick of carol disconnected alice")
		}
	})
}

// TestRedisEmitterReachesAGroup: a group's room on the wire is "\x1d" + its
// name, so Node's emitter reaches the group's pages on every pushio
// instance; a join waits for every server, the Node one too, to answer.
func TestRedisEmitterReachesAGroup(t *testing.T) {
	redis, prefix, nodes := clustertest.StartCluster(t, 2, 15*time.Second)
	a, b := nodes[0], nodes[1]
	alice := clustertest.Login(t, a.IO, "alice")
	bob := clustertest.Login(t, b.IO, "bob")
	carol := clustertest.Login(t, b.IO, "carol")
	node := startPeer(t, redis.URL(), prefix)
	clustertest.WantAnswer(t, b.API, "type=join&group=sales&uid=alice,bob", "ok")

	node.do(t, map[string]any{"cmd": "emitter", "room": "\x1dsales", "event": "new_msg", "args": []any{"to sales"}})
	clustertest.ReceiveOnce(t, alice, "alice on pushio A", "to sales")
	clustertest.ReceiveOnce(t, bob, "bob on pushio B", "to sales")
	if err := carol.None("new_msg", 300*time.Millisecond); err != nil {
		t.Errorf("carol, in no group: %v", err)
	}
	node.do(t, map[string]any{"cmd": "emitter", "room": "sales", "event": "new_msg", "args": []any{"to a uid sales"}})
	if err := alice.None("new_msg", 300*time.Millisecond); err != nil {
		t.Errorf("the room sales is a uid's, not the group's: %v", err)
	}
}
