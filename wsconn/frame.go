package wsconn

import (
	"encoding/binary"
	"errors"
)

// Opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// Close codes.
const (
	CloseNormal        = 1000
	CloseGoingAway     = 1001
	CloseProtocolError = 1002
	CloseUnsupported   = 1003
	CloseInvalidData   = 1007
	CloseTooLarge      = 1009
	CloseInternalError = 1011
)

// Frame is an encoded server frame, immutable and shareable by any number
// of connections.
type Frame struct {
	b   []byte
	raw bool // RawFrame: no framing
}

// NewFrame encodes a final, unmasked text or binary frame of payload.
func NewFrame(binary bool, payload []byte) *Frame {
	op := byte(opText)
	if binary {
		op = opBinary
	}
	return &Frame{b: appendFrame(nil, op, payload)}
}

// RawFrame is b sent as it is, for an adopted connection (Adopt), which
// has no websocket framing; b must not change after.
func RawFrame(b []byte) *Frame { return &Frame{b: b, raw: true} }

// PingFrame is a ping control frame with no payload; a Handler that is a
// PongHandler is told of the answers.
var PingFrame = &Frame{b: appendFrame(nil, opPing, nil)}

// Payload is the frame's payload (all of a RawFrame), not to be changed.
func (f *Frame) Payload() []byte {
	if f.raw {
		return f.b
	}
	switch n := f.b[1] & 0x7F; n {
	case 126:
		return f.b[4:]
	case 127:
		return f.b[10:]
	}
	return f.b[2:]
}

// Len is the frame's size on the wire.
func (f *Frame) Len() int { return len(f.b) }

func appendFrame(dst []byte, op byte, payload []byte) []byte {
	n := len(payload)
	switch {
	case n < 126:
		dst = append(dst, 0x80|op, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|op, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|op, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// closeFrame encodes a close frame with code and reason.
func closeFrame(code int, reason string) *Frame {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	p := binary.BigEndian.AppendUint16(nil, uint16(code))
	return &Frame{b: appendFrame(nil, opClose, append(p, reason...))}
}

// header is one client frame's header.
type header struct {
	fin    bool
	op     byte
	length int64
	mask   [4]byte
	size   int // header bytes
}

var (
	errIncomplete = errors.New("wsconn: incomplete frame")
	// protocolError is a frame RFC 6455 forbids.
	errProtocol = errors.New("wsconn: protocol error")
)

// parseHeader reads a frame header from b: errIncomplete when b holds
// less than the header, errProtocol for a frame no client may send.
func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < 2 {
		return h, errIncomplete
	}
	h.fin = b[0]&0x80 != 0
	h.op = b[0] & 0x0F
	if b[0]&0x70 != 0 {
		return h, errProtocol // reserved bits: no extension was negotiated
	}
	if b[1]&0x80 == 0 {
		return h, errProtocol // client frames are masked
	}
	h.size = 2
	switch n := b[1] & 0x7F; n {
	case 126:
		if len(b) < 4 {
			return h, errIncomplete
		}
		h.length = int64(binary.BigEndian.Uint16(b[2:]))
		h.size = 4
	case 127:
		if len(b) < 10 {
			return h, errIncomplete
		}
		v := binary.BigEndian.Uint64(b[2:])
		if v > 1<<62 {
			return h, errProtocol
		}
		h.length = int64(v)
		h.size = 10
	default:
		h.length = int64(n)
	}
	switch h.op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !h.fin || h.length > 125 {
			return h, errProtocol
		}
	default:
		return h, errProtocol
	}
	if len(b) < h.size+4 {
		return h, errIncomplete
	}
	copy(h.mask[:], b[h.size:])
	h.size += 4
	return h, nil
}

// unmask XORs p with the mask, starting at the payload's first byte.
func unmask(p []byte, mask [4]byte) {
	for i := range p {
		p[i] ^= mask[i&3]
	}
}
