package redis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
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
	Type parser.PacketType `msgpack:"type" json:"type"`
	Data any               `msgpack:"data" json:"data"`
	Nsp  string            `msgpack:"nsp" json:"nsp"`
	ID   *uint64           `msgpack:"id,omitempty" json:"id,omitempty"`
}

// wireOpts are the broadcast options: rooms, except and flags.
type wireOpts struct {
	Rooms  roomList       `msgpack:"rooms" json:"rooms"`
	Except roomList       `msgpack:"except" json:"except"`
	Flags  map[string]any `msgpack:"flags,omitempty" json:"flags,omitempty"`
}

// roomList reads rooms that Node may send as numbers.
type roomList []socket.Room

func (r *roomList) DecodeMsgpack(d *msgpack.Decoder) error {
	var raw []any
	if err := d.Decode(&raw); err != nil {
		return err
	}
	return r.set(raw)
}

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
		switch x := v.(type) {
		case string:
			*r = append(*r, socket.Room(x))
		case int64:
			*r = append(*r, socket.Room(strconv.FormatInt(x, 10)))
		case uint64:
			*r = append(*r, socket.Room(strconv.FormatUint(x, 10)))
		case float64:
			*r = append(*r, socket.Room(strconv.FormatFloat(x, 'f', -1, 64)))
		default:
			return fmt.Errorf("room %v (%T) is neither a string nor a number", v, v)
		}
	}
	return nil
}

func toWirePacket(p *parser.Packet) *wirePacket {
	return &wirePacket{Type: p.Type, Data: p.Data, Nsp: p.Nsp, ID: p.Id}
}

func (w *wirePacket) packet() *parser.Packet {
	if w.Nsp == "" {
		w.Nsp = "/"
	}
	return &parser.Packet{Type: w.Type, Data: w.Data, Nsp: w.Nsp}
}

func toWireOpts(o *socket.BroadcastOptions) *wireOpts {
	w := &wireOpts{Rooms: roomList{}, Except: roomList{}, Flags: map[string]any{}}
	if o == nil {
		return w
	}
	if o.Rooms != nil {
		w.Rooms = append(w.Rooms, o.Rooms.Keys()...)
	}
	if o.Except != nil {
		w.Except = append(w.Except, o.Except.Keys()...)
	}
	if f := o.Flags; f != nil {
		if f.Volatile {
			w.Flags["volatile"] = true
		}
		if f.Compress != nil {
			w.Flags["compress"] = *f.Compress
		}
		if f.Timeout != nil {
			w.Flags["timeout"] = f.Timeout.Milliseconds()
		}
	}
	return w
}

func (w *wireOpts) options() *socket.BroadcastOptions {
	o := &socket.BroadcastOptions{Rooms: types.NewSet[socket.Room](), Except: types.NewSet[socket.Room](), Flags: &socket.BroadcastFlags{}}
	if w == nil {
		return o
	}
	o.Rooms.Add(w.Rooms...)
	o.Except.Add(w.Except...)
	if v, ok := w.Flags["volatile"].(bool); ok {
		o.Flags.Volatile = v
	}
	if v, ok := w.Flags["compress"].(bool); ok {
		o.Flags.Compress = &v
	}
	if ms, ok := number(w.Flags["timeout"]); ok {
		d := time.Duration(ms) * time.Millisecond
		o.Flags.Timeout = &d
	}
	return o
}

func number(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case uint64:
		return int64(x), true
	case float64:
		return int64(x), true
	}
	return 0, false
}

// encodeMsgpack encodes v as the Node adapter's notepack.io reads it.
func encodeMsgpack(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	enc.UseCompactFloats(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeMsgpack decodes what notepack.io wrote: maps as map[string]any,
// integers as int64 or uint64, floats as float64.
func decodeMsgpack(b []byte, v any) error {
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	dec.UseLooseInterfaceDecoding(true)
	return dec.Decode(v)
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
	Data      any       `json:"data,omitempty" msgpack:"data,omitempty"`
	// Packet is a wirePacket in a broadcast request, the client's answer
	// in an acknowledgement.
	Packet      msgpack.RawMessage `json:"-" msgpack:"packet,omitempty"`
	Sockets     []wireSock         `json:"sockets,omitempty" msgpack:"-"`
	ClientCount uint64             `json:"clientCount,omitempty" msgpack:"-"`
}

// wireSock is one socket in a fetchSockets answer.
type wireSock struct {
	ID        socket.SocketId   `json:"id"`
	Handshake *socket.Handshake `json:"handshake"`
	Rooms     []socket.Room     `json:"rooms"`
	Data      any               `json:"data"`
}

// remoteSocket is a socket of another server, as fetchSockets returns it.
type remoteSocket struct{ w wireSock }

func (r remoteSocket) Id() socket.SocketId            { return r.w.ID }
func (r remoteSocket) Handshake() *socket.Handshake   { return r.w.Handshake }
func (r remoteSocket) Rooms() *types.Set[socket.Room] { return types.NewSet(r.w.Rooms...) }
func (r remoteSocket) Data() any                      { return r.w.Data }
