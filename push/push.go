// Package push holds what a publish names, shared by the publish API
// (pushapi), the server and the adapters: a Message (an event and its one
// argument, text or a JSON value), the Targets it goes to, and the Reach
// of each target (whether it has a page anywhere in the cluster).
//
// The types are plain values: safe to copy and to read from any
// goroutine once built; nothing here does I/O.
package push

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pushio/pushio/hub"
)

// DefaultEvent is the event a push without event= sends: the original's.
const DefaultEvent = "new_msg"

// MaxEventBytes is the longest event name a push may carry.
const MaxEventBytes = 64

// Message is what one push sends: Event (DefaultEvent when empty) with
// one argument, either Text (the escaped content, a string) or, when
// JSON is set, that JSON value as is (an object arrives as an object).
type Message struct {
	Event string
	Text  string
	// JSON is a valid, compact JSON value (ParseJSON); nil sends Text.
	JSON json.RawMessage
}

// Name is the event the message is sent as.
func (m Message) Name() string {
	if m.Event == "" {
		return DefaultEvent
	}
	return m.Event
}

// Arg is the event's argument decoded, as the Redis adapter's wire
// carries it (msgpack of the value): Text, or the JSON value as
// encoding/json decodes it into any.
func (m Message) Arg() any {
	if m.JSON == nil {
		return m.Text
	}
	var v any
	_ = json.Unmarshal(m.JSON, &v) // valid: ParseJSON checked it
	return v
}

// reserved are the event names a push may not use: pushio's own (those
// its pages and its plain wires send or listen for) and Socket.IO's
// reserved ones, which clients treat specially or never hand to a
// listener.
var reserved = map[string]bool{
	// pushio's
	"login": true, "logout": true, "login_error": true, "update_online_count": true,
	"welcome": true, "ping": true, "pong": true,
	// Socket.IO's, client and server, every version
	"connect": true, "connect_error": true, "connect_timeout": true, "connecting": true,
	"disconnect": true, "disconnecting": true, "error": true, "message": true,
	"newListener": true, "removeListener": true, "reconnect": true, "reconnect_attempt": true,
	"reconnecting": true, "reconnect_error": true, "reconnect_failed": true,
}

// Reserved reports whether event is one a push may not send.
func Reserved(event string) bool { return reserved[event] }

// Errors of CheckEvent and ParseJSON.
var (
	ErrEventName     = errors.New("event must be 1-64 of A-Z a-z 0-9 _ . : -")
	ErrEventReserved = errors.New("event is reserved")
	ErrJSON          = errors.New("json is not a JSON value")
)

// CheckEvent reports why event cannot be pushed, or nil.
func CheckEvent(event string) error {
	if event == "" || len(event) > MaxEventBytes {
		return ErrEventName
	}
	for i := 0; i < len(event); i++ {
		if !eventByte(event[i]) {
			return ErrEventName
		}
	}
	if reserved[event] {
		return fmt.Errorf("%w: %s", ErrEventReserved, event)
	}
	return nil
}

func eventByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == ':' || c == '-'
}

// ParseJSON checks that text is one JSON value in valid UTF-8 and
// returns it compacted.
func ParseJSON(text string) (json.RawMessage, error) {
	if !utf8.ValidString(text) || !json.Valid([]byte(text)) {
		return nil, ErrJSON
	}
	var buf bytes.Buffer
	buf.Grow(len(text))
	if err := json.Compact(&buf, []byte(text)); err != nil {
		return nil, ErrJSON
	}
	return buf.Bytes(), nil
}

// Targets are the pages a push goes to: those of the uids in UIDs, of the
// groups in Groups and the pages whose client id (a page's id, what
// Socket.IO clients read as socket.id) is in Clients, less the pages in
// Exclude. A page picked several times gets one copy. No UIDs, Groups or
// Clients at all is every page (a broadcast).
type Targets struct {
	UIDs []string
	// Groups are group names (hub.CheckName); Rooms names their rooms.
	Groups  []string
	Clients []string
	Exclude []string
}

// Broadcast reports whether t names no target: every page is picked.
func (t Targets) Broadcast() bool {
	return len(t.UIDs) == 0 && len(t.Groups) == 0 && len(t.Clients) == 0
}

// Rooms are the hub rooms (and the adapter wire's rooms) the targets are:
// each uid's room, each page's own id, each group's room; empty for a
// broadcast. A uid that starts as group rooms do (no page logs in with
// it) is the room of no page, hub.GroupPrefix alone, not a group's.
func (t Targets) Rooms() []string {
	uids := t.UIDs
	if slices.ContainsFunc(uids, isGroupRoom) {
		uids = slices.Clone(uids)
		for i, u := range uids {
			if isGroupRoom(u) {
				uids[i] = hub.GroupPrefix
			}
		}
	}
	if len(t.Groups) == 0 && len(t.Clients) == 0 {
		return uids
	}
	out := make([]string, 0, len(uids)+len(t.Groups)+len(t.Clients))
	out = append(out, uids...)
	for _, g := range t.Groups {
		out = append(out, GroupRoom(g))
	}
	return append(out, t.Clients...)
}

// GroupRoom is the room of group g: hub.GroupRoom, a name no uid and no
// client id can be.
func GroupRoom(g string) string { return hub.GroupRoom(g) }

func isGroupRoom(room string) bool { return strings.HasPrefix(room, hub.GroupPrefix) }

// Reach says, for each target of a Targets in order, whether it has a
// page anywhere in the cluster.
type Reach struct {
	UIDs, Groups, Clients []bool
}

// Any reports whether any target has a page.
func (r Reach) Any() bool {
	for _, l := range [][]bool{r.UIDs, r.Groups, r.Clients} {
		for _, on := range l {
			if on {
				return true
			}
		}
	}
	return false
}

// Request is one publish or kick: Message (nil for a kick without one)
// to Targets; Kick disconnects the targets' pages after the message.
type Request struct {
	Message *Message
	Targets Targets
	Kick    bool
}
