package engine

import (
	"net/http"
	"time"
)

// Defaults, Node's.
const (
	DefaultPingInterval   = 25 * time.Second
	DefaultPingTimeout    = 20 * time.Second
	DefaultMaxPayload     = 1_000_000
	DefaultUpgradeTimeout = 10 * time.Second
)

// Options configure a Server; zero values take the defaults.
type Options struct {
	PingInterval   time.Duration
	PingTimeout    time.Duration
	UpgradeTimeout time.Duration
	// MaxPayload bounds a polling POST body and a websocket message.
	MaxPayload int64
	// MaxQueue and MaxQueueBytes bound what waits to be written to one
	// session; past either, the session is closed as a slow consumer
	// (Handler.OnClose gets ReasonSlow). Zero is no bound.
	MaxQueue      int
	MaxQueueBytes int64
	// Writers is the number of websocket writer goroutines (wsconn).
	Writers int
	// NoEIO3 refuses Engine.IO 3 clients, as Node without allowEIO3 does
	// (pushio serves them; the EIO 4 protocol suite wants them refused).
	NoEIO3 bool
	// OnUpgrade, when set, is told of each session that moved from
	// polling to websocket.
	OnUpgrade func(s *Session)
}

func (o Options) withDefaults() Options {
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = DefaultPingTimeout
	}
	if o.UpgradeTimeout <= 0 {
		o.UpgradeTimeout = DefaultUpgradeTimeout
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	return o
}

// resolution is the timer wheel's tick: a tenth of the shortest heartbeat
// delay, between 5 ms and 100 ms.
func (o Options) resolution() time.Duration {
	return min(max(min(o.PingInterval, o.PingTimeout)/10, 5*time.Millisecond), 100*time.Millisecond)
}

// Handler is the layer above: it is told of each session's opening, its
// messages and its end.
type Handler interface {
	// OnOpen is called once per session, before any other call for it,
	// with the handshake request (which must not be kept). What it sends
	// goes out right after the open packet.
	OnOpen(s *Session, r *http.Request)
	// OnMessage gets each message packet the client sent, in order; data
	// is only valid during the call.
	OnMessage(s *Session, data []byte, binary bool)
	// OnClose is called once, when the session has ended, with why.
	OnClose(s *Session, reason string)
}

// Reasons a session ends, as Node's engine.io names them.
const (
	ReasonTransportClose = "transport close"
	ReasonTransportError = "transport error"
	ReasonPingTimeout    = "ping timeout"
	ReasonParseError     = "parse error"
	ReasonServerClose    = "forced close"
	ReasonServerShutdown = "server shutting down"
	// ReasonSlow: the client did not read what was sent to it within the
	// queue bounds.
	ReasonSlow = "slow consumer"
	// ReasonTooLarge: the client sent a message over MaxPayload.
	ReasonTooLarge = "message too large"
)
