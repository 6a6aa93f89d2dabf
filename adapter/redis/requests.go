package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/pushio/pushio/adapter"
)

// This file holds the cluster-wide operations other than broadcasting:
// requests to and from the other servers on the request channel, and their
// answers on the response channel. Not supported: the legacy per-socket
// forms of REMOTE_JOIN/LEAVE/DISCONNECT (a sid instead of opts; Node's
// adapter no longer sends them) and the SOCKETS request.

// onRequest handles a message on the request or a response channel.
func (f *Fanout) onRequest(channel string, payload []byte) {
	var r request
	if err := decodeRequest(payload, &r); err != nil {
		f.log.Debug("redis fan-out: ignoring a malformed request", "channel", channel, "err", err)
		return
	}
	if channel != f.requestChannel {
		if w, ok := f.pending.Load(r.RequestID); ok {
			f.answer(r.RequestID, w.(*waiter), &r)
		}
		return
	}
	if r.UID == f.opts.UID {
		return // this server applied its own request already
	}
	switch r.Type {
	case reqRemoteJoin:
		if r.Opts != nil {
			f.local.Join(fanoutNsp, r.Opts.selector(), r.Rooms)
		}
	case reqRemoteLeave:
		if r.Opts != nil {
			f.local.Leave(fanoutNsp, r.Opts.selector(), r.Rooms)
		}
	case reqRemoteDisconnect:
		if r.Opts != nil {
			f.local.Disconnect(fanoutNsp, r.Opts.selector(), r.Close)
		}
	case reqRemoteFetch:
		local := f.local.Fetch(fanoutNsp, r.Opts.selector())
		socks := make([]wireSock, len(local))
		for i, s := range local {
			socks[i] = toWireSock(s)
		}
		f.respond(map[string]any{"requestId": r.RequestID, "sockets": socks})
	case reqAllRooms:
		f.respond(map[string]any{"requestId": r.RequestID, "rooms": f.local.Rooms(fanoutNsp)})
	case reqServerSideEmit:
		// pushio has no server-side listeners: nothing to run, and no
		// answer (a Node server waiting on one times out for it).
	case reqBroadcast:
		f.onBroadcastWithAck(&r)
	}
}

// onBroadcastWithAck delivers another server's acknowledged broadcast.
// pushio's sockets do not forward clients' acknowledgements, so the
// answer is a client count of 0: the asking server waits for none.
func (f *Fanout) onBroadcastWithAck(r *request) {
	var wp wirePacket
	if err := decodeMsgpack(r.Packet, &wp); err != nil {
		f.log.Debug("redis fan-out: ignoring a malformed broadcast request", "err", err)
		return
	}
	f.local.Deliver(wp.packet(), r.Opts.selector())
	f.respond(map[string]any{"type": reqBroadcastClientCount, "requestId": r.RequestID, "clientCount": 0})
}

// respond publishes a JSON answer on the response channel.
func (f *Fanout) respond(v map[string]any) {
	b, err := json.Marshal(v)
	if err != nil {
		f.log.Warn("redis fan-out: encoding an answer", "err", err)
		return
	}
	_ = f.send(f.responseChannel, b)
}

// request publishes a JSON request on the request channel within ctx.
func (f *Fanout) request(ctx context.Context, r *request) error {
	r.UID = f.opts.UID
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("redis fan-out: encoding a request: %w", err)
	}
	return f.publish(ctx, f.requestChannel, b)
}

// FetchSockets asks the other servers for their sockets that sel picks
// (this one's are not included); it fails when one did not answer within
// the requests timeout.
func (f *Fanout) FetchSockets(ctx context.Context, sel adapter.Selector) ([]adapter.SocketInfo, error) {
	n, err := f.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	others := n - 1
	if others <= 0 {
		return nil, nil
	}
	type result struct {
		socks []adapter.SocketInfo
		err   error
	}
	done := make(chan result, 1)
	var socks []adapter.SocketInfo
	answers := int64(0)
	id := f.await(f.opts.RequestsTimeout, func(r *request) bool {
		for _, s := range r.Sockets {
			socks = append(socks, s.info())
		}
		if answers++; answers < others {
			return false
		}
		done <- result{socks: socks}
		return true
	}, func(err error) { done <- result{socks: socks, err: fmt.Errorf("fetchSockets: %w", err)} })
	if err := f.request(ctx, &request{RequestID: id, Type: reqRemoteFetch, Opts: toWireOpts(sel)}); err != nil {
		f.cancel(id, err)
	}
	select {
	case res := <-done:
		return res.socks, res.err
	case <-ctx.Done():
		f.cancel(id, ctx.Err())
		return nil, ctx.Err()
	}
}

// AddSockets makes the other servers' sockets that sel picks join rooms.
func (f *Fanout) AddSockets(ctx context.Context, sel adapter.Selector, rooms []string) error {
	return f.request(ctx, &request{Type: reqRemoteJoin, Opts: toWireOpts(sel), Rooms: rooms})
}

// DelSockets makes the other servers' sockets that sel picks leave rooms.
func (f *Fanout) DelSockets(ctx context.Context, sel adapter.Selector, rooms []string) error {
	return f.request(ctx, &request{Type: reqRemoteLeave, Opts: toWireOpts(sel), Rooms: rooms})
}

// DisconnectSockets disconnects the other servers' sockets that sel picks.
func (f *Fanout) DisconnectSockets(ctx context.Context, sel adapter.Selector, close bool) error {
	return f.request(ctx, &request{Type: reqRemoteDisconnect, Opts: toWireOpts(sel), Close: close})
}

// publication is one message to publish on a channel.
type publication struct {
	channel string
	msg     []byte
}

// encodedPush is what one adapter.Outgoing publishes, in order.
type encodedPush []publication

// encodePush encodes o: its message as a broadcast, then, for a kick,
// a REMOTE_DISCONNECT request.
func (f *Fanout) encodePush(o adapter.Outgoing) (encodedPush, error) {
	sel := adapter.Selector{Rooms: o.Targets.Rooms(), Except: o.Targets.Exclude}
	var out encodedPush
	if o.Packet != nil {
		msg, err := f.encodeBroadcast(*o.Packet, sel)
		if err != nil {
			return nil, err
		}
		out = append(out, publication{f.broadcastChannel(sel), msg})
	}
	if o.Kick {
		r := request{UID: f.opts.UID, Type: reqRemoteDisconnect, Opts: toWireOpts(sel), Close: true}
		msg, err := json.Marshal(&r)
		if err != nil {
			return nil, fmt.Errorf("redis fan-out: encoding a disconnect request: %w", err)
		}
		out = append(out, publication{f.requestChannel, msg})
	}
	return out, nil
}

// newRequestID is a random request id, as the Node adapter's.
func newRequestID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// waiter collects the answers to one request until done or its timeout.
type waiter struct {
	mu       sync.Mutex
	onAnswer func(*request) bool // true: complete
	onExpire func(error)
	timer    *time.Timer
	finished bool
}

// await registers a request id whose answers go to onAnswer until it
// returns true; after timeout onExpire gets errTimeout instead.
func (f *Fanout) await(timeout time.Duration, onAnswer func(*request) bool, onExpire func(error)) string {
	id := newRequestID()
	w := &waiter{onAnswer: onAnswer, onExpire: onExpire}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = time.AfterFunc(timeout, func() { f.finish(id, w, errTimeout) })
	f.pending.Store(id, w)
	return id
}

func (f *Fanout) answer(id string, w *waiter, r *request) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.finished && w.onAnswer(r) {
		w.finished = true
		w.timer.Stop()
		f.pending.Delete(id)
	}
}

// finish ends a request that did not complete, once: onExpire gets err.
func (f *Fanout) finish(id string, w *waiter, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f.pending.Delete(id)
	if w.finished {
		return
	}
	w.finished = true
	w.timer.Stop()
	if w.onExpire != nil {
		w.onExpire(err)
	}
}

// cancel ends a request whose publish failed.
func (f *Fanout) cancel(id string, err error) {
	if w, ok := f.pending.Load(id); ok {
		f.finish(id, w.(*waiter), err)
	}
}
