package server

import (
	"math"
	"sync/atomic"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/servers/engine/v3"
)

// outQueue counts the packets created for one Engine.IO session and not
// yet handed to its transport. The library never blocks a sender: while
// the transport writes (or, for polling, until the next GET) packets wait
// in the session's unbounded buffer. Past MaxQueue messages or
// MaxQueueBytes bytes the client is dropped as a slow consumer, so that a
// stalled reader costs bounded memory and never holds up a broadcast.
// (At most one batch, itself within the bounds, is being written besides.)
type outQueue struct {
	msgs    atomic.Int64
	bytes   atomic.Int64
	dropped atomic.Bool
}

// watchQueue hooks the queue bounds on es; a zero bound is no bound. The
// hooks run in the sender's goroutine, so the drop itself is handed to
// another.
func (s *Server) watchQueue(es engine.Socket) {
	maxMsgs, maxBytes := int64(s.opts.Limits.MaxQueue), s.opts.Limits.MaxQueueBytes
	if maxMsgs <= 0 && maxBytes <= 0 {
		return
	}
	if maxMsgs <= 0 {
		maxMsgs = math.MaxInt64
	}
	if maxBytes <= 0 {
		maxBytes = math.MaxInt64
	}
	q := &outQueue{}
	_ = es.On("packetCreate", func(args ...any) {
		p, _ := args[0].(*packet.Packet)
		n, b := q.msgs.Add(1), q.bytes.Add(packetSize(p))
		// A single message larger than MaxQueueBytes still goes through.
		if (n > maxMsgs || (n > 1 && b > maxBytes)) && q.dropped.CompareAndSwap(false, true) {
			go s.dropSlow(es, n, b)
		}
	})
	_ = es.On("flush", func(args ...any) {
		batch, _ := args[0].([]*packet.Packet)
		var size int64
		for _, p := range batch {
			size += packetSize(p)
		}
		q.msgs.Add(-int64(len(batch)))
		q.bytes.Add(-size)
	})
}

func (s *Server) dropSlow(es engine.Socket, msgs, bytes int64) {
	s.log.Warn("client disconnected: slow consumer", "sid", es.Id(), "ip", es.RemoteAddress(),
		"queued_messages", msgs, "queued_bytes", bytes)
	s.opts.Metrics.SlowClientDropped()
	es.Close(true) // discard: what waits will never be read
}

// packetSize is the length of a packet's data when it is a buffer (every
// packet Socket.IO sends is); pings and other empty packets count 0.
func packetSize(p *packet.Packet) int64 {
	if p == nil {
		return 0
	}
	if l, ok := p.Data.(interface{ Len() int }); ok {
		return int64(l.Len())
	}
	return 0
}
