package plain

import (
	"bytes"
	"encoding/json"
	"errors"
)

// incoming is one frame a WebSocket page sent: {"event":"…","data":…}.
type incoming struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// Why a frame is refused; each is the close reason the page gets.
var (
	errNotJSON   = errors.New("frame is not JSON")
	errNotObject = errors.New("frame is not a JSON object")
	errNoEvent   = errors.New("frame has no event string")
)

// parseFrame reads a text frame of a WebSocket page: one JSON object
// with a string "event" and any "data". Anything else is an error that
// closes the connection.
func parseFrame(b []byte) (incoming, error) {
	var in incoming
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		if json.Valid(b) {
			return in, errNotObject
		}
		return in, errNotJSON
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return in, errNotJSON
	}
	ev, ok := fields["event"]
	if !ok || len(ev) == 0 || ev[0] != '"' || json.Unmarshal(ev, &in.Event) != nil {
		return in, errNoEvent
	}
	in.Data = fields["data"]
	return in, nil
}

// login is what a login frame's data says: "UID", a number, or
// {"uid": UID, "token": "T"}. uid is nil when the data is none of them
// (the login is then ignored, as a Socket.IO login with such a uid).
func (in incoming) login() (uid any, token string) {
	var v any
	if json.Unmarshal(in.Data, &v) != nil {
		return nil, ""
	}
	if o, ok := v.(map[string]any); ok {
		token, _ = o["token"].(string)
		return o["uid"], token
	}
	return v, ""
}

// errPingTimeout ends a WebSocket page that did not answer a ping.
var errPingTimeout = errors.New("plain: ping timeout")
