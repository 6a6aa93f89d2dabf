package parser

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Encode appends to dst the packet of type t on namespace nsp ("" or "/"
// for none) with ack id id (-1 for none) and data v (nil for none), and
// returns it with the binary attachments to send after it. The JSON is
// pure ASCII: every non-ASCII rune as \uXXXX (a surrogate pair above
// U+FFFF), as PHP's json_encode writes it, < > & escaped as \u003c \u003e
// \u0026 (as the library pushio used before did) and '/' as it is; invalid UTF-8 in strings becomes U+FFFD. []byte values
// anywhere in v (except inside structs; see below) become placeholders and
// are returned as attachments, and an Event or Ack becomes a BinaryEvent
// or BinaryAck with their count in its header (BinaryEvent and BinaryAck
// are taken as Event and Ack). Maps are written with sorted keys; NaN and
// the infinities as null, as JSON.stringify does; structs, json.Marshaler
// values and maps without string keys through encoding/json (a []byte
// there is base64, not an attachment). The packet must meet Decode's
// rules, or Encode fails and dst is returned as it was.
func Encode(dst []byte, t Type, nsp string, id int64, v any) (text []byte, attachments [][]byte, err error) {
	if t >= numTypes {
		return dst, nil, fmt.Errorf("parser: encoding packet type %d", t)
	}
	if t.binary() {
		t -= BinaryEvent - Event
	}
	if nsp == "/" {
		nsp = ""
	}
	if nsp != "" && (nsp[0] != '/' || strings.IndexByte(nsp, ',') >= 0 || !utf8.ValidString(nsp)) {
		return dst, nil, fmt.Errorf("parser: encoding namespace %q: want '/' then UTF-8 without a comma", nsp)
	}
	start, out := len(dst), dst
	var e encoder
	if v != nil {
		if out, err = e.value(dst, v, 0); err != nil {
			return dst, nil, err
		}
	}
	p := Packet{Type: t, ID: id, Data: out[start:]}
	if v == nil {
		p.Data = nil
	}
	if len(e.attachments) > 0 {
		if t != Event && t != Ack {
			return dst, nil, fmt.Errorf("parser: encoding binary data in a %v packet", t)
		}
		p.Type += BinaryEvent - Event
		p.Attachments = len(e.attachments)
	}
	if err := checkEncoded(p); err != nil {
		return dst, nil, err
	}
	return insertHeader(out, start, p.Type, p.Attachments, nsp, id), e.attachments, nil
}

// checkEncoded applies Decode's rules to an encoded packet.
func checkEncoded(p Packet) error {
	if p.ID < -1 || (p.ID >= 0 && !p.Type.hasID()) {
		return fmt.Errorf("parser: encoding ack id %d in a %v packet", p.ID, p.Type)
	}
	if err := checkPacket(p); err != nil {
		return fmt.Errorf("parser: encoding a packet Decode would refuse: %w", err)
	}
	return nil
}

// insertHeader inserts the header of a packet before its data, which
// starts at dst[start:].
func insertHeader(dst []byte, start int, t Type, attachments int, nsp string, id int64) []byte {
	var buf [64]byte
	h := appendHeader(buf[:0], t, attachments, nsp, id)
	end := len(dst)
	dst = append(dst, h...)
	copy(dst[start+len(h):], dst[start:end])
	copy(dst[start:], h)
	return dst
}

// appendHeader appends "<type>[<attachments>-][<nsp>,][<id>]"; nsp "" is
// the root namespace, id -1 none.
func appendHeader(dst []byte, t Type, attachments int, nsp string, id int64) []byte {
	dst = append(dst, '0'+byte(t))
	if t.binary() {
		dst = strconv.AppendInt(dst, int64(attachments), 10)
		dst = append(dst, '-')
	}
	if nsp != "" && nsp != "/" {
		dst = append(append(dst, nsp...), ',')
	}
	if id >= 0 {
		dst = strconv.AppendInt(dst, id, 10)
	}
	return dst
}

// AppendEvent appends an event on the root namespace without an ack id
// whose arguments are strings, `2["<event>","<arg>",...]`: the bytes
// Encode(dst, Event, "/", -1, []any{event, arg, ...}) gives, without
// reflection. It is the hot path of a push.
func AppendEvent(dst []byte, event string, args ...string) []byte {
	dst = append(dst, '0'+byte(Event), '[')
	dst = appendString(dst, event)
	for _, a := range args {
		dst = append(dst, ',')
		dst = appendString(dst, a)
	}
	return append(dst, ']')
}
