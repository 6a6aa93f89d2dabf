package engine

import (
	"sync"

	"github.com/pushio/pushio/engine/parser"
	"github.com/pushio/pushio/wsconn"
)

// Message is one upper-layer message — a Socket.IO packet's text and its
// binary attachments — encoded once for every receiver: each is an
// Engine.IO message packet, and the websocket frames of each protocol are
// built on first use and shared by every connection that sends it.
// A Message is immutable once made.
type Message struct {
	binaryOnly  bool // NewBinary: one binary packet, no text
	text        []byte
	attachments [][]byte

	once   [2]sync.Once
	frames [2][]*wsconn.Frame // by protocol: [0] EIO 3, [1] EIO 4

	derivedOnce sync.Once
	derived     any

	id      string   // the push's id; "" none
	variant *Message // the same with its id as last argument; nil none
}

// NewMessage wraps text and attachments, which must not change after.
func NewMessage(text []byte, attachments ...[]byte) *Message {
	return &Message{text: text, attachments: attachments}
}

// NewBinary wraps one binary Engine.IO message, with no text packet.
func NewBinary(data []byte) *Message {
	return &Message{binaryOnly: true, attachments: [][]byte{data}}
}

// WithID gives m, before it is sent, the id pushio assigned it and the
// variant that pages recovering their connection get instead (the same
// event with the id as its last argument); it returns m.
func (m *Message) WithID(id string, variant *Message) *Message {
	m.id, m.variant = id, variant
	return m
}

// ID is the id WithID gave (a push's own; for other events, the latest
// push's), or "".
func (m *Message) ID() string { return m.id }

// Variant is what WithID gave for recovering pages, or m itself.
func (m *Message) Variant() *Message {
	if m.variant != nil {
		return m.variant
	}
	return m
}

// Binary reports whether the message has binary parts.
func (m *Message) Binary() bool { return m.binaryOnly || len(m.attachments) > 0 }

// Text is the message's text (the Socket.IO packet).
func (m *Message) Text() []byte { return m.text }

// Derived returns what derive makes of the message: made by the first
// call, then shared by every receiver. It is how another wire (package
// plain) encodes a hub message once per message, not once per page; a
// process uses one derive function for every message.
func (m *Message) Derived(derive func(*Message) any) any {
	m.derivedOnce.Do(func() { m.derived = derive(m) })
	return m.derived
}

// size is what the message weighs in a session's queue.
func (m *Message) size() int64 {
	n := int64(len(m.text))
	for _, a := range m.attachments {
		n += int64(len(a))
	}
	return n
}

// packets are the message's Engine.IO packets, sharing its bytes.
func (m *Message) packets() []parser.Packet {
	ps := make([]parser.Packet, 0, 1+len(m.attachments))
	if !m.binaryOnly {
		ps = append(ps, parser.Packet{Type: parser.Message, Data: m.text})
	}
	for _, a := range m.attachments {
		ps = append(ps, parser.Packet{Type: parser.Message, Data: a, Binary: true})
	}
	return ps
}

// wsFrames are the message's websocket frames for protocol 3 or 4.
func (m *Message) wsFrames(protocol int) []*wsconn.Frame {
	i := protocol - 3
	m.once[i].Do(func() {
		for _, p := range m.packets() {
			m.frames[i] = append(m.frames[i], packetFrame(protocol, p))
		}
	})
	return m.frames[i]
}

// packetFrame encodes one packet as a websocket frame.
func packetFrame(protocol int, p parser.Packet) *wsconn.Frame {
	return wsconn.NewFrame(p.Binary, parser.AppendFrame(nil, protocol, p))
}

// control frames, the same in both protocols: text "2", "3", "6", "1",
// "3probe".
var (
	framePing      = packetFrame(4, parser.Packet{Type: parser.Ping})
	framePong      = packetFrame(4, parser.Packet{Type: parser.Pong})
	frameNoop      = packetFrame(4, parser.Packet{Type: parser.Noop})
	framePongProbe = packetFrame(4, parser.Packet{Type: parser.Pong, Data: []byte("probe")})
)
