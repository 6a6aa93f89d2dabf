package parser

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Decode reads one packet, "<type>[<attachments>-][<nsp>,][<id>][<json>]",
// a namespace starting with '/' and running to the first comma (or to the
// end). The rules are socket.io-parser's, strictly: the text is UTF-8; an
// attachment count (at most MaxAttachments) comes with and only with
// BinaryEvent and BinaryAck; an ack id only with events and acks, and
// always with acks, and fits an int64; the data is JSON and is, for an
// Event or BinaryEvent, an array whose first element is a string; for an
// Ack or BinaryAck, an array; for a Connect, absent or an object; for a
// ConnectError, an object or a string; for a Disconnect, absent. Anything
// else is an error wrapping ErrBadPacket. Data aliases text.
func Decode(text []byte) (Packet, error) {
	if len(text) == 0 {
		return Packet{}, badPacket("empty")
	}
	if !utf8.Valid(text) {
		return Packet{}, badPacket("not UTF-8")
	}
	p := Packet{Type: Type(text[0] - '0'), Nsp: "/", ID: -1}
	if text[0] < '0' || p.Type >= numTypes {
		return Packet{}, badPacket("unknown type %q", text[0])
	}
	rest := text[1:]
	var err error
	if p.Type.binary() {
		if p.Attachments, rest, err = attachments(rest); err != nil {
			return Packet{}, err
		}
	}
	if len(rest) > 0 && rest[0] == '/' {
		p.Nsp, rest = namespace(rest)
	}
	if n := digits(rest); n > 0 {
		if !p.Type.hasID() {
			return Packet{}, badPacket("ack id in a %v packet", p.Type)
		}
		if p.ID, err = strconv.ParseInt(string(rest[:n]), 10, 64); err != nil {
			return Packet{}, badPacket("ack id %q out of range", rest[:n])
		}
		rest = rest[n:]
	}
	if len(rest) > 0 {
		p.Data = rest
	}
	return p, checkPacket(p)
}

// attachments reads "<count>-".
func attachments(b []byte) (int, []byte, error) {
	n := digits(b)
	if n == 0 || n >= len(b) || b[n] != '-' {
		return 0, nil, badPacket("binary packet without an attachment count")
	}
	count, err := strconv.Atoi(string(b[:n]))
	if err != nil || count > MaxAttachments {
		return 0, nil, badPacket("%s attachments, more than %d", b[:n], MaxAttachments)
	}
	return count, b[n+1:], nil
}

// namespace reads a namespace and the comma after it, if any.
func namespace(b []byte) (string, []byte) {
	for i, c := range b {
		if c == ',' {
			return string(b[:i]), b[i+1:]
		}
	}
	return string(b), nil
}

// digits counts the ASCII digits at the start of b.
func digits(b []byte) int {
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	return n
}

// checkPacket applies the rules of Decode that concern the ack id and the
// data, which Encode's output must meet too.
func checkPacket(p Packet) error {
	if (p.Type == Ack || p.Type == BinaryAck) && p.ID < 0 {
		return badPacket("%v without an ack id", p.Type)
	}
	if p.Data == nil {
		switch p.Type {
		case Connect, Disconnect:
			return nil
		}
		return badPacket("%v without data", p.Type)
	}
	if !json.Valid(p.Data) {
		return badPacket("data is not JSON")
	}
	if !shapeOK(p.Type, p.Data) {
		return badPacket("data of the wrong shape for a %v packet", p.Type)
	}
	return nil
}

// shapeOK checks the shape of the valid JSON data of a packet of type t.
func shapeOK(t Type, data []byte) bool {
	data = skipSpace(data)
	switch t {
	case Connect:
		return data[0] == '{'
	case ConnectError:
		return data[0] == '{' || data[0] == '"'
	case Event, BinaryEvent:
		return data[0] == '[' && skipSpace(data[1:])[0] == '"'
	case Ack, BinaryAck:
		return data[0] == '['
	}
	return false
}

// skipSpace skips JSON whitespace; what it is given is valid JSON, or the
// inside of an array, so something always follows.
func skipSpace(b []byte) []byte {
	for i, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return b[i:]
		}
	}
	return b
}
