package plain

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/wsconn"
)

// encoded is a hub message as these wires send it, shared by every page:
// the event, its data as the JSON value a Socket.IO page gets, and the
// frames of each wire, built on first use.
type encoded struct {
	event []byte // the JSON string, quotes included
	data  []byte // the JSON value
	id    string // the push's id (engine.Message.ID), or ""

	wsOnce  sync.Once
	ws      *wsconn.Frame
	sseOnce sync.Once
	sse     *wsconn.Frame // nil: the event cannot be an SSE event
}

// eventIDs numbers the messages without an id of their own that this
// process sends on event streams.
var eventIDs atomic.Uint64

// decode turns a Socket.IO packet of "/" (EVENT: 2["event",args…]) into
// an encoded message; nil for anything else (binary events, other
// namespaces), which these wires cannot carry. The data is the one
// argument, null for none, an array of them for several.
func decode(m *engine.Message) any {
	text := m.Text()
	if len(text) < 2 || text[0] != '2' || text[1] != '[' {
		return (*encoded)(nil)
	}
	var args []json.RawMessage
	if err := json.Unmarshal(text[1:], &args); err != nil || len(args) == 0 || len(args[0]) == 0 || args[0][0] != '"' {
		return (*encoded)(nil)
	}
	e := &encoded{event: args[0], id: m.ID()}
	switch len(args) {
	case 1:
		e.data = []byte("null")
	case 2:
		e.data = args[1]
	default:
		e.data, _ = json.Marshal(args[1:])
	}
	return e
}

// encodedOf is m's encoding, made once per message.
func encodedOf(m *engine.Message) *encoded { return m.Derived(decode).(*encoded) }

// wsFrame is the message as a WebSocket page gets it:
// {"event":"…","data":…}.
func (e *encoded) wsFrame() *wsconn.Frame {
	e.wsOnce.Do(func() { e.ws = wsconn.NewFrame(false, appendObject(nil, e.event, e.data)) })
	return e.ws
}

// sseFrame is the message as an event stream gets it, with an id of its
// own; nil when the event's name has a line break.
func (e *encoded) sseFrame() *wsconn.Frame {
	e.sseOnce.Do(func() {
		var name string
		if json.Unmarshal(e.event, &name) != nil || containsLineBreak(name) {
			return
		}
		data := e.data
		if data[0] == '"' {
			var s string
			if json.Unmarshal(data, &s) != nil {
				return
			}
			data = []byte(s)
		}
		id := e.id
		if id == "" {
			id = strconv.FormatUint(eventIDs.Add(1), 10)
		}
		e.sse = wsconn.RawFrame(appendEvent(nil, id, name, data))
	})
	return e.sse
}

// appendObject appends {"event":event,"data":data}, both JSON already.
func appendObject(dst, event, data []byte) []byte {
	dst = append(dst, `{"event":`...)
	dst = append(dst, event...)
	dst = append(dst, `,"data":`...)
	dst = append(dst, data...)
	return append(dst, '}')
}

// appendEvent appends one server-sent event: its id (none when ""), its
// name and one data line per line of data (a line ends at CR, LF or
// CRLF, as EventSource reads them), then the blank line that ends it.
func appendEvent(dst []byte, id, name string, data []byte) []byte {
	if id != "" {
		dst = append(append(append(dst, "id: "...), id...), '\n')
	}
	dst = append(dst, "event: "...)
	dst = append(dst, name...)
	dst = append(dst, '\n')
	for {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			break
		}
		dst = append(append(append(dst, "data: "...), data[:i]...), '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	dst = append(append(append(dst, "data: "...), data...), '\n')
	return append(dst, '\n')
}

func containsLineBreak(s string) bool { return bytes.ContainsAny([]byte(s), "\r\n") }
