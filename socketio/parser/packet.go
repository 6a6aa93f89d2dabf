package parser

import (
	"errors"
	"fmt"
)

// Type is a Socket.IO packet type, the first character of a packet.
type Type byte

// The packet types. ConnectError is Error in protocol 4.
const (
	Connect Type = iota
	Disconnect
	Event
	Ack
	ConnectError
	BinaryEvent
	BinaryAck
	numTypes
)

var typeNames = [numTypes]string{"connect", "disconnect", "event", "ack", "connect_error", "binary_event", "binary_ack"}

func (t Type) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", byte(t))
}

func (t Type) binary() bool { return t == BinaryEvent || t == BinaryAck }

// hasID reports whether packets of type t may carry an ack id.
func (t Type) hasID() bool { return t == Event || t == Ack || t.binary() }

// MaxAttachments is the most binary attachments a packet may announce.
const MaxAttachments = 10

// Packet is one decoded Socket.IO packet.
type Packet struct {
	Type Type
	// Nsp is the namespace, "/" when the packet names none. For a protocol
	// 4 connect it may carry a query: "/admin?token=x".
	Nsp string
	// ID is the ack id, -1 when absent.
	ID int64
	// Attachments is how many binary packets follow (BinaryEvent and
	// BinaryAck only).
	Attachments int
	// Data is the JSON after the header, nil when absent. Decode checks
	// that it is JSON of the right shape, no more, and leaves it aliasing
	// its input.
	Data []byte
}

// ErrBadPacket is wrapped by every error of Decode and Args.
var ErrBadPacket = errors.New("parser: bad packet")

func badPacket(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadPacket}, args...)...)
}
