package server

// Recorder counts what the server refuses and drops, so that metrics can
// show it; reasons are short snake_case labels. Its methods are called on
// the serving paths: they must be quick and safe for concurrent use.
type Recorder interface {
	// ConnectionRefused counts a new Engine.IO session refused before its
	// handshake; reason is one of the Refused* constants.
	ConnectionRefused(reason string)
	// LoginRefused counts a login refused for its token; reason is the
	// text sent with login_error.
	LoginRefused(reason string)
	// ClientDropped counts a client disconnected by the server for its
	// behaviour; reason is DroppedSlowConsumer or DroppedPayloadTooLarge.
	ClientDropped(reason string)
}

// Reasons given to Recorder.
const (
	RefusedDraining        = "draining"
	RefusedMaxConnections  = "max_connections"
	RefusedMaxPerIP        = "max_connections_per_ip"
	RefusedConnectionRate  = "connection_rate"
	DroppedSlowConsumer    = "slow_consumer"
	DroppedPayloadTooLarge = "payload_too_large"
)

// nopRecorder is the Recorder of a server given none.
type nopRecorder struct{}

func (nopRecorder) ConnectionRefused(string) {}
func (nopRecorder) LoginRefused(string)      {}
func (nopRecorder) ClientDropped(string)     {}
