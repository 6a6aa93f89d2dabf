package redis

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pushio/pushio/adapter"
)

// The wire format is @socket.io/redis-adapter's (v8): a broadcast is the
// msgpack array [uid, packet, opts] published on <prefix>#<nsp># or, for
// exactly one room, <prefix>#<nsp>#<room>#; requests between servers are
// JSON (or msgpack for acknowledged broadcasts) on <prefix>-request#<nsp>#,
// answers on <prefix>-response#<nsp>#.

// Request types, numbered as the Node adapter numbers them.
const (
	reqSockets = iota
	reqAllRooms
	reqRemoteJoin
	reqRemoteLeave
	reqRemoteDisconnect
	reqRemoteFetch
	reqServerSideEmit
	reqBroadcast
	reqBroadcastClientCount
	reqBroadcastAck
)

// wireMessage is one broadcast: [uid, packet, opts].
type wireMessage struct {
	_msgpack struct{} `msgpack:",as_array"`
	UID      string
	Packet   *wirePacket
	Opts     *wireOpts
}

// wirePacket is a Socket.IO packet as Node writes it: {type, data, nsp}.
type wirePacket struct {
	Type int     `msgpack:"type" json:"type"`
	Data any     `msgpack:"data" json:"data"`
	Nsp  string  `msgpack:"nsp" json:"nsp"`
	ID   *uint64 `msgpack:"id,omitempty" json:"id,omitempty"`
}

// wireOpts are the broadcast options: rooms, except and flags.
type wireOpts struct {
	Rooms  roomList       `msgpack:"rooms" json:"rooms"`
	Except roomList       `msgpack:"except" json:"except"`
	Flags  map[string]any `msgpack:"flags,omitempty" json:"flags,omitempty"`
}

// roomList reads rooms that Node may send as numbers.
type roomList []string

func (r *roomList) UnmarshalJSON(b []byte) error {
	var raw []any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	return r.set(raw)
}

func (r *roomList) set(raw []any) error {
	*r = make(roomList, 0, len(raw))
	for _, v := range raw {
		room, err := roomText(v)
		if err != nil {
			return err
		}
		*r = append(*r, room)
	}
	return nil
}

// roomText is a decoded room: a string, or a number as its text.
func roomText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("room %v (%T) is neither a string nor a number", v, v)
}

func toWirePacket(p adapter.Packet) *wirePacket {
	return &wirePacket{Type: p.Type, Data: p.Data, Nsp: p.Nsp}
}

func (w *wirePacket) packet() adapter.Packet {
	if w.Nsp == "" {
		w.Nsp = "/"
	}
	data, _ := w.Data.([]any)
	return adapter.Packet{Type: w.Type, Data: data, Nsp: w.Nsp}
}

// flagID, flagTTL and flagRead are the broadcast flags that carry
// adapter.Packet's ID, TTL (in milliseconds) and Read (in microseconds
// since the Unix epoch).
const (
	flagID   = "pushio_id"
	flagTTL  = "pushio_ttl"
	flagRead = "pushio_read"
)

func toWireOpts(sel adapter.Selector) *wireOpts {
	return &wireOpts{Rooms: append(roomList{}, sel.Rooms...), Except: append(roomList{}, sel.Except...), Flags: map[string]any{}}
}

// id is the push id the broadcast's flags carry, "" for none.
func (w *wireOpts) id() string {
	if w == nil {
		return ""
	}
	id, _ := w.Flags[flagID].(string)
	return id
}

// ttl is how long the push the broadcast's flags name is held, 0 for
// none (or a value that is not a positive number of milliseconds).
func (w *wireOpts) ttl() time.Duration {
	ms := w.flagInt(flagTTL)
	if ms <= 0 || ms > int64(24*time.Hour/time.Millisecond) {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// read is when the sender read the reach of the push the broadcast's
// flags name, zero for none (or a value that is not a positive number of
// microseconds).
func (w *wireOpts) read() time.Time {
	us := w.flagInt(flagRead)
	if us <= 0 || us >= 1<<53 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

// flagInt is the integer flag name, in any width decodeMsgpack gives
// (int64, uint64, float64), 0 for none or another type.
func (w *wireOpts) flagInt(name string) int64 {
	if w == nil {
		return 0
	}
	switch v := w.Flags[name].(type) {
	case int64:
		return v
	case uint64:
		return int64(min(v, 1<<62))
	case float64:
		return int64(v)
	}
	return 0
}

func (w *wireOpts) selector() adapter.Selector {
	if w == nil {
		return adapter.Selector{}
	}
	return adapter.Selector{Rooms: w.Rooms, Except: w.Except}
}

// decodeRequest reads a request or a response: JSON when it starts with
// '{', msgpack otherwise, as the Node adapter does.
func decodeRequest(b []byte, v any) error {
	if len(b) > 0 && b[0] == '{' {
		return json.Unmarshal(b, v)
	}
	return decodeMsgpack(b, v)
}

// request is every request and response field the Node adapter and
// emitter send; each type uses a few.
type request struct {
	UID       string    `json:"uid,omitempty" msgpack:"uid,omitempty"`
	RequestID string    `json:"requestId,omitempty" msgpack:"requestId,omitempty"`
	Type      int       `json:"type" msgpack:"type"`
	Opts      *wireOpts `json:"opts,omitempty" msgpack:"opts,omitempty"`
	Rooms     roomList  `json:"rooms,omitempty" msgpack:"rooms,omitempty"`
	Close     bool      `json:"close,omitempty" msgpack:"close,omitempty"`
	// Packet is a wirePacket in a broadcast request, the client's answer
	// in an acknowledgement.
	Packet      msgpack.RawMessage `json:"-" msgpack:"packet,omitempty"`
	Sockets     []wireSock         `json:"sockets,omitempty" msgpack:"-"`
	ClientCount uint64             `json:"clientCount,omitempty" msgpack:"-"`
}

// wireSock is one socket in a fetchSockets answer, as Node writes it.
type wireSock struct {
	ID        string        `json:"id"`
	Handshake wireHandshake `json:"handshake"`
	Rooms     []string      `json:"rooms"`
	Data      any           `json:"data"`
}

// wireHandshake is a socket's handshake as fetchSockets reports it;
// pushio keeps no request headers after the handshake.
type wireHandshake struct {
	Headers map[string]any `json:"headers"`
	Time    string         `json:"time"`
	Address string         `json:"address"`
	XDomain bool           `json:"xdomain"`
	Secure  bool           `json:"secure"`
	Issued  int64          `json:"issued"`
	URL     string         `json:"url"`
	Query   map[string]any `json:"query"`
	Auth    map[string]any `json:"auth"`
}

func toWireSock(s adapter.SocketInfo) wireSock {
	return wireSock{ID: s.ID, Rooms: s.Rooms, Handshake: wireHandshake{
		Headers: map[string]any{}, Query: map[string]any{}, Auth: map[string]any{},
		Address: s.Addr, Issued: s.Issued.UnixMilli(), Time: s.Issued.UTC().Format(time.RFC1123),
	}}
}

func (w wireSock) info() adapter.SocketInfo {
	return adapter.SocketInfo{ID: w.ID, Rooms: w.Rooms, Addr: w.Handshake.Address, Issued: time.UnixMilli(w.Handshake.Issued)}
}
