package parser

import (
	"encoding/base64"
	"errors"
	"fmt"
)

// Type is an Engine.IO packet type. On the wire it is the digit '0'+Type in
// text and the byte value Type in protocol 3 binary packets.
type Type byte

// The packet types of both protocols.
const (
	Open Type = iota
	Close
	Ping
	Pong
	Message
	Upgrade
	Noop
	numTypes
)

var typeNames = [numTypes]string{"open", "close", "ping", "pong", "message", "upgrade", "noop"}

func (t Type) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", byte(t))
}

// Packet is one Engine.IO packet.
type Packet struct {
	Type Type
	// Data is the raw bytes of a binary message, and otherwise the text
	// after the type digit (empty when there is none, such as a bare ping).
	Data []byte
	// Binary marks a binary message; only Message packets can be binary.
	Binary bool
}

// Every decoding error wraps one of these: ErrBadPacket for a packet that
// is malformed on its own, ErrBadPayload for the framing around packets.
var (
	ErrBadPacket  = errors.New("parser: bad packet")
	ErrBadPayload = errors.New("parser: bad payload")
)

// b64 is the base64 of binary messages in text: standard, padded, with the
// unused bits of the last character zero.
var b64 = base64.StdEncoding.Strict()

// Content types of polling responses.
const (
	ContentTypeText   = "text/plain; charset=UTF-8"
	ContentTypeBinary = "application/octet-stream"
	ContentTypeJSONP  = "text/javascript; charset=UTF-8"
)

func badPacket(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadPacket}, args...)...)
}

func badPayload(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadPayload}, args...)...)
}

// decodeText decodes one packet in text form: "<digit>[<data>]", or a
// binary message in base64, "b4<base64>" in protocol 3 and "b<base64>" in
// protocol 4.
func decodeText(protocol int, s []byte) (Packet, error) {
	if len(s) == 0 {
		return Packet{}, badPacket("empty packet")
	}
	if s[0] == 'b' {
		return decodeBase64(protocol, s[1:])
	}
	t := Type(s[0] - '0')
	if s[0] < '0' || t >= numTypes {
		return Packet{}, badPacket("unknown type %q", s[0])
	}
	return Packet{Type: t, Data: s[1:]}, nil
}

func decodeBase64(protocol int, s []byte) (Packet, error) {
	if protocol == 3 {
		if len(s) == 0 || s[0] != '0'+byte(Message) {
			return Packet{}, badPacket("base64 packet of a type other than message")
		}
		s = s[1:]
	}
	data := make([]byte, b64.DecodedLen(len(s)))
	n, err := b64.Decode(data, s)
	if err != nil {
		return Packet{}, badPacket("base64: %w", err)
	}
	return Packet{Type: Message, Data: data[:n], Binary: true}, nil
}

// appendText appends p in text form; a binary message goes as base64.
func appendText(dst []byte, protocol int, p Packet) []byte {
	if !p.Binary {
		dst = append(dst, '0'+byte(p.Type))
		return append(dst, p.Data...)
	}
	dst = append(dst, 'b')
	if protocol == 3 {
		dst = append(dst, '0'+byte(Message))
	}
	return b64.AppendEncode(dst, p.Data)
}
