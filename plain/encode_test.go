package plain

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/socketio"
)

func TestEncodings(t *testing.T) {
	t.Parallel()
	obj, _ := socketio.EncodeEvent("/", "new_msg", map[string]any{"a": 1})
	two, _ := socketio.EncodeEvent("/", "new_msg", "x", 2)
	none, _ := socketio.EncodeEvent("/", "tick")
	bin, _ := socketio.EncodeEvent("/", "new_msg", []byte{1, 2})
	other, _ := socketio.EncodeEvent("/chat", "new_msg", "x")
	tests := []struct {
		name    string
		m       *engine.Message
		ws, sse string // "" none
	}{
		{"text", socketio.EncodePush("new_msg", `<b>"hi"</b>`),
			`{"event":"new_msg","data":"\u003cb\u003e\"hi\"\u003c/b\u003e"}`, "event: new_msg\ndata: <b>\"hi\"</b>\n\n"},
		{"lines", socketio.EncodePush("new_msg", "a\nb\r\nc\rd\n"),
			`{"event":"new_msg","data":"a\nb\r\nc\rd\n"}`, "event: new_msg\ndata: a\ndata: b\ndata: c\ndata: d\ndata: \n\n"},
		{"a JSON value", obj, `{"event":"new_msg","data":{"a":1}}`, "event: new_msg\ndata: {\"a\":1}\n\n"},
		{"several arguments", two, `{"event":"new_msg","data":["x",2]}`, "event: new_msg\ndata: [\"x\",2]\n\n"},
		{"no argument", none, `{"event":"tick","data":null}`, "event: tick\ndata: null\n\n"},
		{"an event name with a line break", socketio.EncodePush("a\nb", "x"), `{"event":"a\nb","data":"x"}`, ""},
		{"binary", bin, "", ""},
		{"another namespace", other, "", ""},
		{"binary only", engine.NewBinary([]byte{1}), "", ""},
	}
	for _, tt := range tests {
		e := encodedOf(tt.m)
		if e == nil {
			if tt.ws != "" {
				t.Errorf("%s: not encoded", tt.name)
			}
			continue
		}
		if tt.ws == "" {
			t.Errorf("%s: encoded, want nothing", tt.name)
			continue
		}
		ws := string(e.wsFrame().Payload())
		if !json.Valid([]byte(ws)) || !equalJSON(ws, tt.ws) {
			t.Errorf("%s: websocket %s, want %s", tt.name, ws, tt.ws)
		}
		f := e.sseFrame()
		switch {
		case f == nil && tt.sse != "":
			t.Errorf("%s: no event, want %q", tt.name, tt.sse)
		case f != nil:
			got := string(f.Payload())
			id, rest, _ := strings.Cut(got, "\n")
			if !strings.HasPrefix(id, "id: ") || rest != tt.sse {
				t.Errorf("%s: event %q, want an id and %q", tt.name, got, tt.sse)
			}
		}
		if encodedOf(tt.m) != e {
			t.Errorf("%s: encoded again for a second page", tt.name)
		}
	}
}

func equalJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && fmt.Sprint(x) == fmt.Sprint(y)
}

func TestParseFrame(t *testing.T) {
	t.Parallel()
	tests := []struct {
		frame, event string
		uid          any
		token        string
		err          error
	}{
		{`{"event":"login","data":"u1"}`, "login", "u1", "", nil},
		{` {"event":"login","data":7} `, "login", 7.0, "", nil},
		{`{"event":"login","data":{"uid":"u1","token":"t"}}`, "login", "u1", "t", nil},
		{`{"event":"login","data":{"uid":"u1","token":5}}`, "login", "u1", "", nil},
		{`{"event":"login"}`, "login", nil, "", nil},
		{`{"event":"ping"}`, "ping", nil, "", nil},
		{`{"event":"x","data":[1]}`, "x", []any{1.0}, "", nil},
		{`[1]`, "", nil, "", errNotObject},
		{`null`, "", nil, "", errNotObject},
		{``, "", nil, "", errNotJSON},
		{`{"event":"login",}`, "", nil, "", errNotJSON},
		{`{"event":null}`, "", nil, "", errNoEvent},
	}
	for _, tt := range tests {
		in, err := parseFrame([]byte(tt.frame))
		if err != tt.err || in.Event != tt.event {
			t.Errorf("%s: %q, %v; want %q, %v", tt.frame, in.Event, err, tt.event, tt.err)
			continue
		}
		uid, token := in.login()
		if fmt.Sprint(uid) != fmt.Sprint(tt.uid) || token != tt.token {
			t.Errorf("%s: login %v %q, want %v %q", tt.frame, uid, token, tt.uid, tt.token)
		}
	}
}

// FuzzParseFrame: whatever a page sends, the parser answers a frame or
// one of its errors, and never panics.
func FuzzParseFrame(f *testing.F) {
	for _, s := range []string{`{"event":"login","data":"u"}`, `{"event":"login","data":{"uid":1,"token":"t"}}`, `[]`, `{`, `{"event":1}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := parseFrame(b)
		switch err {
		case nil:
			if !json.Valid(b) {
				t.Fatalf("%q accepted, but it is not JSON", b)
			}
			_, _ = in.login()
		case errNotJSON, errNotObject, errNoEvent:
		default:
			t.Fatalf("%q: unexpected error %v", b, err)
		}
	})
}

func BenchmarkEncodeBroadcast(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m := socketio.EncodePush("new_msg", "hello, a push of some length to every page")
		e := encodedOf(m)
		_ = e.wsFrame()
		_ = e.sseFrame()
	}
}
