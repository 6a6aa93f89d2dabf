package redis

import (
	"bytes"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The broadcast's three parts encode and decode themselves field by field
// (msgpack.CustomEncoder and CustomDecoder): the library's struct
// reflection cost ~3 µs each way per push, a tenth of what a cluster node
// spends on one. The bytes are what the struct tags gave: the same map
// keys in the same order, and the same values.

// EncodeMsgpack writes [uid, packet, opts].
func (m *wireMessage) EncodeMsgpack(e *msgpack.Encoder) error {
	if err := e.EncodeArrayLen(3); err != nil {
		return err
	}
	if err := e.EncodeString(m.UID); err != nil {
		return err
	}
	if err := e.Encode(m.Packet); err != nil {
		return err
	}
	return e.Encode(m.Opts)
}

// DecodeMsgpack reads [uid, packet, opts]: a shorter array leaves the
// missing parts empty, a longer one's extra items are skipped, as the
// struct decoder did.
func (m *wireMessage) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil || n < 0 {
		return err
	}
	for i := range n {
		switch i {
		case 0:
			m.UID, err = d.DecodeString()
		case 1:
			m.Packet, err = decodeNilOr(d, (*wirePacket).DecodeMsgpack)
		case 2:
			m.Opts, err = decodeNilOr(d, (*wireOpts).DecodeMsgpack)
		default:
			err = d.Skip()
		}
		if err != nil {
			return fmt.Errorf("broadcast item %d: %w", i, err)
		}
	}
	return nil
}

// decodeNilOr decodes a *T, nil when msgpack has nil there.
func decodeNilOr[T any](d *msgpack.Decoder, decode func(*T, *msgpack.Decoder) error) (*T, error) {
	if c, err := d.PeekCode(); err != nil {
		return nil, err
	} else if c == msgpcode.Nil {
		return nil, d.DecodeNil()
	}
	v := new(T)
	return v, decode(v, d)
}

// EncodeMsgpack writes {type, data, nsp[, id]}.
func (w *wirePacket) EncodeMsgpack(e *msgpack.Encoder) error {
	n := 3
	if w.ID != nil {
		n++
	}
	if err := e.EncodeMapLen(n); err != nil {
		return err
	}
	if err := e.EncodeString("type"); err != nil {
		return err
	}
	if err := e.EncodeInt(int64(w.Type)); err != nil {
		return err
	}
	if err := e.EncodeString("data"); err != nil {
		return err
	}
	if err := encodeData(e, w.Data); err != nil {
		return err
	}
	if err := e.EncodeString("nsp"); err != nil {
		return err
	}
	if err := e.EncodeString(w.Nsp); err != nil {
		return err
	}
	if w.ID != nil {
		if err := e.EncodeString("id"); err != nil {
			return err
		}
		return e.EncodeUint(*w.ID)
	}
	return nil
}

// encodeData writes an EVENT's arguments, its strings without reflection.
func encodeData(e *msgpack.Encoder, data any) error {
	args, ok := data.([]any)
	if !ok {
		return e.Encode(data)
	}
	if err := e.EncodeArrayLen(len(args)); err != nil {
		return err
	}
	for _, a := range args {
		var err error
		if s, ok := a.(string); ok {
			err = e.EncodeString(s)
		} else {
			err = e.Encode(a)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// DecodeMsgpack reads a packet map; keys it does not know are skipped.
func (w *wirePacket) DecodeMsgpack(d *msgpack.Decoder) error {
	return decodeMap(d, func(key string) (err error) {
		switch key {
		case "type":
			w.Type, err = d.DecodeInt()
		case "data":
			w.Data, err = decodeValue(d, 0)
		case "nsp":
			w.Nsp, err = d.DecodeString()
		case "id":
			w.ID, err = decodeNilOr(d, func(id *uint64, d *msgpack.Decoder) (err error) {
				*id, err = d.DecodeUint64()
				return err
			})
		default:
			err = d.Skip()
		}
		return err
	})
}

// EncodeMsgpack writes {rooms, except[, flags]}.
func (w *wireOpts) EncodeMsgpack(e *msgpack.Encoder) error {
	n := 2
	if len(w.Flags) > 0 {
		n++
	}
	if err := e.EncodeMapLen(n); err != nil {
		return err
	}
	if err := e.EncodeString("rooms"); err != nil {
		return err
	}
	if err := w.Rooms.encode(e); err != nil {
		return err
	}
	if err := e.EncodeString("except"); err != nil {
		return err
	}
	if err := w.Except.encode(e); err != nil {
		return err
	}
	if len(w.Flags) == 0 {
		return nil
	}
	if err := e.EncodeString("flags"); err != nil {
		return err
	}
	if err := e.EncodeMapLen(len(w.Flags)); err != nil {
		return err
	}
	for k, v := range w.Flags {
		if err := e.EncodeString(k); err != nil {
			return err
		}
		if err := e.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

// DecodeMsgpack reads an options map; keys it does not know are skipped.
func (w *wireOpts) DecodeMsgpack(d *msgpack.Decoder) error {
	return decodeMap(d, func(key string) (err error) {
		switch key {
		case "rooms":
			err = w.Rooms.DecodeMsgpack(d)
		case "except":
			err = w.Except.DecodeMsgpack(d)
		case "flags":
			w.Flags, err = decodeObject(d, 0)
		default:
			err = d.Skip()
		}
		return err
	})
}

func (r roomList) encode(e *msgpack.Encoder) error {
	if err := e.EncodeArrayLen(len(r)); err != nil {
		return err
	}
	for _, room := range r {
		if err := e.EncodeString(room); err != nil {
			return err
		}
	}
	return nil
}

// DecodeMsgpack reads rooms, which Node may send as numbers.
func (r *roomList) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	*r = make(roomList, 0, min(max(n, 0), preallocated))
	for range n {
		room, err := decodeRoom(d)
		if err != nil {
			return err
		}
		*r = append(*r, room)
	}
	return nil
}

// decodeRoom reads one room: a string, or a number as its text.
func decodeRoom(d *msgpack.Decoder) (string, error) {
	if c, err := d.PeekCode(); err != nil {
		return "", err
	} else if msgpcode.IsString(c) {
		return d.DecodeString()
	}
	v, err := decodeValue(d, 0)
	if err != nil {
		return "", err
	}
	return roomText(v)
}

// maxDepth is how deeply arrays and maps may nest in a decoded value:
// encoding/json's limit, so that any JSON value a push carries (json=)
// crosses the cluster.
const maxDepth = 10000

// errTooDeep is a value nested past maxDepth.
var errTooDeep = fmt.Errorf("a value nested more than %d deep", maxDepth)

// decodeValue decodes one value as the library's DecodeInterfaceLoose
// does (maps as map[string]any, arrays as []any, integers as int64 or
// uint64, floats as float64, str and bin as string), but it never sizes a
// slice or a map by the length the input declares: the library does, and
// a message of a few bytes declaring an array of 4 billion items took the
// process's memory (FuzzBroadcast found it). Here memory grows only with
// the items actually read, each at least one byte of the input.
func decodeValue(d *msgpack.Decoder, depth int) (any, error) {
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	isArray := msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
	isMap := msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
	if !isArray && !isMap {
		return d.DecodeInterfaceLoose()
	}
	if depth >= maxDepth {
		return nil, errTooDeep
	}
	if isArray {
		n, err := d.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		s := make([]any, 0, min(n, preallocated))
		for range n {
			v, err := decodeValue(d, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	return decodeObject(d, depth+1)
}

// decodeObject decodes a map with string keys (nil for msgpack's nil),
// its values at depth as decodeValue does.
func decodeObject(d *msgpack.Decoder, depth int) (map[string]any, error) {
	n, err := d.DecodeMapLen()
	if err != nil || n < 0 {
		return nil, err
	}
	m := make(map[string]any, min(n, preallocated))
	for range n {
		k, err := d.DecodeString()
		if err != nil {
			return nil, err
		}
		if m[k], err = decodeValue(d, depth); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// preallocated is the most items a decoded array or map is made room for
// before they are read.
const preallocated = 16

// decodeMap reads a map with string keys, handing each key's value to
// field; nil is an empty map.
func decodeMap(d *msgpack.Decoder, field func(key string) error) error {
	n, err := d.DecodeMapLen()
	if err != nil {
		return err
	}
	for range n {
		key, err := d.DecodeString()
		if err != nil {
			return err
		}
		if err := field(key); err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
	}
	return nil
}

// encodeMsgpack encodes v as the Node adapter's notepack.io reads it.
func encodeMsgpack(v any) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, 256))
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(buf)
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
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(bytes.NewReader(b))
	dec.UseLooseInterfaceDecoding(true)
	return dec.Decode(v)
}
