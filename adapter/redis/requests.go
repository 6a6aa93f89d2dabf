package redis

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/servers/socket/v3"
)

// This file holds the cluster-wide operations other than broadcasting:
// requests to and from the other servers on the request channel, and their
// answers on the response channel. Not supported: the legacy per-socket
// forms of REMOTE_JOIN/LEAVE/DISCONNECT (a sid instead of opts; Node's
// adapter no longer sends them) and the SOCKETS request.

// onRequest handles a message on the request or a response channel.
func (a *nsAdapter) onRequest(channel string, payload []byte) {
	var r request
	if err := decodeRequest(payload, &r); err != nil {
		a.log.Debug("redis fan-out: ignoring a malformed request", "channel", channel, "err", err)
		return
	}
	if channel != a.requestChannel {
		if w, ok := a.pending.Load(r.RequestID); ok {
			a.answer(r.RequestID, w.(*waiter), &r)
		}
		return
	}
	if r.UID == a.f.opts.UID {
		return // this server applied its own request already
	}
	switch r.Type {
	case reqRemoteJoin:
		if r.Opts != nil {
			a.Adapter.AddSockets(r.Opts.options(), r.Rooms)
		}
	case reqRemoteLeave:
		if r.Opts != nil {
			a.Adapter.DelSockets(r.Opts.options(), r.Rooms)
		}
	case reqRemoteDisconnect:
		if r.Opts != nil {
			a.Adapter.DisconnectSockets(r.Opts.options(), r.Close)
		}
	case reqRemoteFetch:
		a.answerFetch(&r)
	case reqAllRooms:
		a.respond(map[string]any{"requestId": r.RequestID, "rooms": a.Rooms().Keys()})
	case reqServerSideEmit:
		a.onServerSideEmit(&r)
	case reqBroadcast:
		a.onBroadcastWithAck(&r)
	}
}

// respond publishes a JSON answer on the response channel.
func (a *nsAdapter) respond(v map[string]any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.log.Warn("redis fan-out: encoding an answer", "err", err)
		return
	}
	_ = a.send(a.responseChannel, b)
}

// request publishes a JSON request on the request channel.
func (a *nsAdapter) request(r *request) error {
	r.UID = a.f.opts.UID
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("redis fan-out: encoding a request: %w", err)
	}
	return a.send(a.requestChannel, b)
}

func (a *nsAdapter) answerFetch(r *request) {
	a.Adapter.FetchSockets(r.Opts.options())(func(local []socket.SocketDetails, _ error) {
		socks := make([]wireSock, len(local))
		for i, s := range local {
			socks[i] = wireSock{ID: s.Id(), Handshake: s.Handshake(), Rooms: s.Rooms().Keys(), Data: s.Data()}
		}
		a.respond(map[string]any{"requestId": r.RequestID, "sockets": socks})
	})
}

func (a *nsAdapter) onServerSideEmit(r *request) {
	data, _ := r.Data.([]any)
	if r.RequestID == "" {
		a.Nsp().OnServerSideEmit(data)
		return
	}
	var once sync.Once
	reply := socket.Ack(func(args []any, _ error) {
		once.Do(func() {
			a.respond(map[string]any{"type": reqServerSideEmit, "requestId": r.RequestID, "data": first(args)})
		})
	})
	a.Nsp().OnServerSideEmit(append(data, reply))
}

// onBroadcastWithAck delivers another server's acknowledged broadcast and
// sends back how many sockets got it and each socket's answer.
func (a *nsAdapter) onBroadcastWithAck(r *request) {
	var wp wirePacket
	if err := decodeMsgpack(r.Packet, &wp); err != nil {
		a.log.Debug("redis fan-out: ignoring a malformed broadcast request", "err", err)
		return
	}
	a.Adapter.BroadcastWithAck(wp.packet(), r.Opts.options(),
		func(n uint64) {
			a.respond(map[string]any{"type": reqBroadcastClientCount, "requestId": r.RequestID, "clientCount": n})
		},
		func(args []any, _ error) {
			b, err := encodeMsgpack(map[string]any{"type": reqBroadcastAck, "requestId": r.RequestID, "packet": first(args)})
			if err == nil {
				_ = a.send(a.responseChannel, b)
			}
		})
}

// BroadcastWithAck implements socket.Adapter: the other servers deliver
// the packet too and send back their client counts and acknowledgements
// until the operation's timeout.
func (a *nsAdapter) BroadcastWithAck(packet *parser.Packet, opts *socket.BroadcastOptions, clientCount func(uint64), ack socket.Ack) {
	packet.Nsp = a.Nsp().Name()
	if !isLocal(opts) {
		timeout := a.f.opts.RequestsTimeout
		if opts != nil && opts.Flags != nil && opts.Flags.Timeout != nil {
			timeout = *opts.Flags.Timeout
		}
		id := a.await(timeout, func(r *request) bool {
			switch r.Type {
			case reqBroadcastClientCount:
				clientCount(r.ClientCount)
			case reqBroadcastAck:
				var v any
				if decodeMsgpack(r.Packet, &v) == nil {
					ack([]any{v}, nil)
				}
			}
			return false // answers come until the timeout
		}, nil)
		if err := a.publishBroadcastRequest(id, packet, opts); err != nil {
			a.log.Warn("acknowledged broadcast reached this instance only", "err", err)
		}
	}
	a.Adapter.BroadcastWithAck(packet, opts, clientCount, ack)
}

func (a *nsAdapter) publishBroadcastRequest(id string, packet *parser.Packet, opts *socket.BroadcastOptions) error {
	wp, err := encodeMsgpack(toWirePacket(packet))
	if err != nil {
		return fmt.Errorf("redis fan-out: encoding a packet: %w", err)
	}
	msg, err := encodeMsgpack(&request{UID: a.f.opts.UID, RequestID: id, Type: reqBroadcast, Packet: wp, Opts: toWireOpts(opts)})
	if err != nil {
		return fmt.Errorf("redis fan-out: encoding a broadcast request: %w", err)
	}
	return a.send(a.requestChannel, msg)
}

// FetchSockets implements socket.Adapter: this server's sockets and, unless
// the Local flag is set, every other server's, or an error when one did
// not answer within the requests timeout.
func (a *nsAdapter) FetchSockets(opts *socket.BroadcastOptions) func(func([]socket.SocketDetails, error)) {
	return func(cb func([]socket.SocketDetails, error)) {
		a.Adapter.FetchSockets(opts)(func(local []socket.SocketDetails, _ error) {
			others := a.ServerCount() - 1
			if isLocal(opts) || others <= 0 {
				cb(local, nil)
				return
			}
			socks, answers := local, int64(0)
			id := a.await(a.f.opts.RequestsTimeout, func(r *request) bool {
				for _, s := range r.Sockets {
					socks = append(socks, remoteSocket{s})
				}
				answers++
				if answers < others {
					return false
				}
				cb(socks, nil)
				return true
			}, func(err error) { cb(socks, fmt.Errorf("fetchSockets: %w", err)) })
			if err := a.request(&request{RequestID: id, Type: reqRemoteFetch, Opts: toWireOpts(opts)}); err != nil {
				a.cancel(id, err)
			}
		})
	}
}

// AddSockets implements socket.Adapter: the matching sockets of every
// server join rooms.
func (a *nsAdapter) AddSockets(opts *socket.BroadcastOptions, rooms []socket.Room) {
	a.Adapter.AddSockets(opts, rooms)
	if !isLocal(opts) {
		_ = a.request(&request{Type: reqRemoteJoin, Opts: toWireOpts(opts), Rooms: rooms})
	}
}

// DelSockets implements socket.Adapter: the matching sockets of every
// server leave rooms.
func (a *nsAdapter) DelSockets(opts *socket.BroadcastOptions, rooms []socket.Room) {
	a.Adapter.DelSockets(opts, rooms)
	if !isLocal(opts) {
		_ = a.request(&request{Type: reqRemoteLeave, Opts: toWireOpts(opts), Rooms: rooms})
	}
}

// DisconnectSockets implements socket.Adapter: the matching sockets of
// every server are disconnected.
func (a *nsAdapter) DisconnectSockets(opts *socket.BroadcastOptions, status bool) {
	a.Adapter.DisconnectSockets(opts, status)
	if !isLocal(opts) {
		_ = a.request(&request{Type: reqRemoteDisconnect, Opts: toWireOpts(opts), Close: status})
	}
}

// ServerSideEmit implements socket.Adapter: the event reaches the other
// servers' namespace listeners. With a socket.Ack last, the ack gets one
// answer per other server, or an error when one did not answer in time.
func (a *nsAdapter) ServerSideEmit(packet []any) error {
	if len(packet) == 0 {
		return fmt.Errorf("redis fan-out: serverSideEmit without an event")
	}
	ack, withAck := packet[len(packet)-1].(socket.Ack)
	if !withAck {
		return a.request(&request{Type: reqServerSideEmit, Data: packet})
	}
	others := a.ServerCount() - 1
	if others <= 0 {
		ack([]any{}, nil)
		return nil
	}
	answers := []any{}
	id := a.await(a.f.opts.RequestsTimeout, func(r *request) bool {
		answers = append(answers, r.Data)
		if int64(len(answers)) < others {
			return false
		}
		ack(answers, nil)
		return true
	}, func(err error) { ack(answers, fmt.Errorf("serverSideEmit: %w", err)) })
	if err := a.request(&request{RequestID: id, Type: reqServerSideEmit, Data: packet[:len(packet)-1]}); err != nil {
		a.cancel(id, err)
		return err
	}
	return nil
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
// returns true; after timeout onExpire (if any) gets errTimeout instead.
func (a *nsAdapter) await(timeout time.Duration, onAnswer func(*request) bool, onExpire func(error)) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	w := &waiter{onAnswer: onAnswer, onExpire: onExpire}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = time.AfterFunc(timeout, func() { a.finish(id, w, errTimeout) })
	a.pending.Store(id, w)
	return id
}

func (a *nsAdapter) answer(id string, w *waiter, r *request) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.finished && w.onAnswer(r) {
		w.finished = true
		w.timer.Stop()
		a.pending.Delete(id)
	}
}

// finish ends a request that did not complete, once: onExpire gets err.
func (a *nsAdapter) finish(id string, w *waiter, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	a.pending.Delete(id)
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
func (a *nsAdapter) cancel(id string, err error) {
	if w, ok := a.pending.Load(id); ok {
		a.finish(id, w.(*waiter), err)
	}
}

func first(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}
