package redis

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// nodeEncode encodes v with the library's generic encoder, as notepack.io
// writes plain objects and arrays: how a Node server's broadcast looks.
func nodeEncode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := encodeMsgpack(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ackID(n uint64) *uint64 { return &n }

// TestBroadcastCodec: pushio's broadcasts decode, as a Node server reads
// them (generic maps and arrays), to the same keys and values they were
// made of, and decode back to the same message.
func TestBroadcastCodec(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		msg  wireMessage
		// node is the message as a generic decoder reads it; positive
		// integers past 127 are uint64, as compact ints decode.
		node []any
	}{
		{
			name: "targeted push",
			msg: wireMessage{UID: "srv", Packet: &wirePacket{Type: 2, Data: []any{"new_msg", "hi"}, Nsp: "/"},
				Opts: &wireOpts{Rooms: roomList{"u1"}, Except: roomList{}}},
			node: []any{"srv", map[string]any{"type": int64(2), "data": []any{"new_msg", "hi"}, "nsp": "/"},
				map[string]any{"rooms": []any{"u1"}, "except": []any{}}},
		},
		{
			name: "flags, except and JSON data",
			msg: wireMessage{UID: "srv", Packet: &wirePacket{Type: 2, Nsp: "/", Data: []any{"order",
				map[string]any{"id": int64(7), "price": 1.5, "tags": []any{"a", nil, true}}, int64(-3), uint64(1 << 63)}},
				Opts: &wireOpts{Rooms: roomList{"a", "b"}, Except: roomList{"sid1"},
					Flags: map[string]any{flagID: "p-1", flagTTL: uint64(60000), flagRead: uint64(1_796_000_000_123_456)}}},
			node: []any{"srv", map[string]any{"type": int64(2), "nsp": "/", "data": []any{"order",
				map[string]any{"id": int64(7), "price": 1.5, "tags": []any{"a", nil, true}}, int64(-3), uint64(1 << 63)}},
				map[string]any{"rooms": []any{"a", "b"}, "except": []any{"sid1"},
					"flags": map[string]any{flagID: "p-1", flagTTL: uint64(60000), flagRead: uint64(1_796_000_000_123_456)}}},
		},
		{
			name: "acknowledged packet, no options",
			msg:  wireMessage{UID: "srv", Packet: &wirePacket{Type: 2, Data: []any{"e"}, Nsp: "/", ID: ackID(300)}},
			node: []any{"srv", map[string]any{"type": int64(2), "data": []any{"e"}, "nsp": "/", "id": uint64(300)}, nil},
		},
		{
			name: "no packet",
			msg:  wireMessage{UID: "srv", Opts: &wireOpts{Rooms: roomList{}, Except: roomList{}}},
			node: []any{"srv", nil, map[string]any{"rooms": []any{}, "except": []any{}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := nodeEncode(t, &tc.msg)
			var node []any
			if err := decodeMsgpack(b, &node); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(node, tc.node) {
				t.Errorf("a generic decoder reads\n%#v\nwant\n%#v", node, tc.node)
			}
			var back wireMessage
			if err := decodeMsgpack(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tc.msg) {
				t.Errorf("decoded back as\n%#v\nwant\n%#v", back, tc.msg)
			}
		})
	}
}

// TestBroadcastFromNode: what a Node server or emitter may write decodes:
// rooms as numbers, keys pushio does not know, more items than three.
func TestBroadcastFromNode(t *testing.T) {
	t.Parallel()
	b := nodeEncode(t, []any{"node-1",
		map[string]any{"type": 2, "data": []any{"new_msg", "x"}, "nsp": "/", "attachments": 0},
		map[string]any{"rooms": []any{42, uint64(7), 1.5, "r"}, "except": []any{}, "flags": map[string]any{"volatile": true}},
		"extra"})
	var m wireMessage
	if err := decodeMsgpack(b, &m); err != nil {
		t.Fatal(err)
	}
	want := wireMessage{UID: "node-1", Packet: &wirePacket{Type: 2, Data: []any{"new_msg", "x"}, Nsp: "/"},
		Opts: &wireOpts{Rooms: roomList{"42", "7", "1.5", "r"}, Except: roomList{}, Flags: map[string]any{"volatile": true}}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("decoded\n%#v\nwant\n%#v", m, want)
	}
}

// TestBroadcastMalformed: a broadcast cut anywhere, or with a part of the
// wrong type, is an error that says where, never a panic.
func TestBroadcastMalformed(t *testing.T) {
	t.Parallel()
	p, sel := wirePush()
	f := &Fanout{opts: FanoutOptions{UID: "server-a"}}
	whole, err := f.encodeBroadcast(p, sel)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(whole) {
		var m wireMessage
		if err := decodeMsgpack(whole[:n], &m); err == nil {
			t.Errorf("the first %d of %d bytes decoded: %#v", n, len(whole), m)
		}
	}
	for _, tc := range []struct {
		name, where string
		v           any
	}{
		{"uid a number", "item 0", []any{1, nil, nil}},
		{"packet an array", "item 1", []any{"s", []any{1}, nil}},
		{"type a string", `"type"`, []any{"s", map[string]any{"type": "2"}, nil}},
		{"nsp a number", `"nsp"`, []any{"s", map[string]any{"nsp": 1}, nil}},
		{"id a string", `"id"`, []any{"s", map[string]any{"id": "1"}, nil}},
		{"rooms a map", `"rooms"`, []any{"s", nil, map[string]any{"rooms": map[string]any{}}}},
		{"a room a map", `"rooms"`, []any{"s", nil, map[string]any{"rooms": []any{map[string]any{}}}}},
		{"flags an array", `"flags"`, []any{"s", nil, map[string]any{"flags": []any{}}}},
		{"a flag's key a number", `"flags"`, []any{"s", nil, map[string]any{"flags": map[int]any{1: 1}}}},
		{"a map key a number", "item 2", []any{"s", nil, map[int]any{1: 1}}},
		{"not an array", "", "hello"},
	} {
		var m wireMessage
		err := decodeMsgpack(nodeEncode(t, tc.v), &m)
		if err == nil || !strings.Contains(err.Error(), tc.where) {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.where)
		}
	}
}

// TestHugeDeclaredLengths: an array or a map that declares 4 billion
// items in a message of a few bytes is an error at once, in a broadcast's
// data, flags and rooms and in a request, not an allocation of that many;
// a value nested past maxDepth is refused.
func TestHugeDeclaredLengths(t *testing.T) {
	t.Parallel()
	array32 := []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}
	map32 := []byte{0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'k', 0x01}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	fixstr := func(s string) []byte { return append([]byte{0xa0 | byte(len(s))}, s...) }
	deep := append(bytes.Repeat([]byte{0x91}, maxDepth+1), 0x01)
	for _, tc := range []struct {
		name string
		msg  []byte
		want string
	}{
		{"data an array of 4G", cat([]byte{0x93}, fixstr("s"), []byte{0x81}, fixstr("data"), array32, []byte{0xc0}), "EOF"},
		{"data a map of 4G", cat([]byte{0x93}, fixstr("s"), []byte{0x81}, fixstr("data"), map32, []byte{0xc0}), "EOF"},
		{"an argument an array of 4G", cat([]byte{0x93}, fixstr("s"), []byte{0x81}, fixstr("data"), []byte{0x92}, fixstr("e"), array32, []byte{0xc0}), "EOF"},
		{"rooms of 4G", cat([]byte{0x93}, fixstr("s"), []byte{0xc0, 0x81}, fixstr("rooms"), array32), "EOF"},
		{"a room an array of 4G", cat([]byte{0x93}, fixstr("s"), []byte{0xc0, 0x81}, fixstr("rooms"), []byte{0x91}, array32), "EOF"},
		{"flags of 4G", cat([]byte{0x93}, fixstr("s"), []byte{0xc0, 0x81}, fixstr("flags"), map32), "EOF"},
		{"a flag a map of 4G", cat([]byte{0x93}, fixstr("s"), []byte{0xc0, 0x81}, fixstr("flags"), []byte{0x81}, fixstr("f"), map32), "EOF"},
		{"data nested too deep", cat([]byte{0x93}, fixstr("s"), []byte{0x81}, fixstr("data"), deep, []byte{0xc0}), "nested"},
	} {
		var m wireMessage
		if err := decodeMsgpack(tc.msg, &m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %s", tc.name, err, tc.want)
		}
	}
	// A request (an acknowledged broadcast's, a Node emitter's) with data
	// that declares 4G items.
	var r request
	if err := decodeRequest(cat([]byte{0x82}, fixstr("type"), []byte{0x01}, fixstr("data"), array32), &r); err == nil {
		t.Errorf("a request whose data declares 4G items decoded: %+v", r)
	}
	// Nested as deep as allowed still decodes.
	ok := cat([]byte{0x93}, fixstr("s"), []byte{0x81}, fixstr("data"), bytes.Repeat([]byte{0x91}, maxDepth), []byte{0x01, 0xc0})
	var m wireMessage
	if err := decodeMsgpack(ok, &m); err != nil {
		t.Errorf("data nested %d deep: %v", maxDepth, err)
	}
}

// FuzzBroadcast: any bytes on a broadcast channel decode or fail, and what
// decodes encodes and decodes again.
func FuzzBroadcast(f *testing.F) {
	p, sel := wirePush()
	fo := &Fanout{opts: FanoutOptions{UID: "server-a"}}
	whole, err := fo.encodeBroadcast(p, sel)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(whole)
	f.Add(nodeEncode(f, []any{"n", map[string]any{"type": 2, "data": []any{"e", map[string]any{"k": []any{1.5}}}},
		map[string]any{"rooms": []any{1}, "flags": map[string]any{"x": nil}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m wireMessage
		if decodeMsgpack(b, &m) != nil {
			return
		}
		again, err := encodeMsgpack(&m)
		if err != nil {
			t.Fatalf("%#v decoded but does not encode: %v", m, err)
		}
		var back wireMessage
		if err := decodeMsgpack(again, &back); err != nil {
			t.Fatalf("%#v encoded as %x, which does not decode: %v", m, again, err)
		}
	})
}
