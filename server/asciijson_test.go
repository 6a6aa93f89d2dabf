package server

import (
	"testing"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

func TestASCIIJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"no data", "0", "0"},
		{"ascii unchanged", `2["new_msg","hi <b>"]`, `2["new_msg","hi <b>"]`},
		{"bmp", `2["new_msg","你好 é"]`, `2["new_msg","\u4f60\u597d \u00e9"]`},
		{"astral as a surrogate pair", `2["new_msg","😀x𝄞"]`, `2["new_msg","\ud83d\ude00x\ud834\udd1e"]`},
		{"counts text", `2["update_online_count","当前<b>1</b>人在线"]`,
			`2["update_online_count","\u5f53\u524d<b>1</b>\u4eba\u5728\u7ebf"]`},
		{"object data", `0{"sid":"é"}`, `0{"sid":"\u00e9"}`},
		{"ack id", `37["é"]`, `37["\u00e9"]`},
		{"attachments", `51-["é",{"_placeholder":true,"num":0}]`, `51-["\u00e9",{"_placeholder":true,"num":0}]`},
		{"namespace non-ASCII left alone", `2/名字,["x","你"]`, `2/名字,["x","\u4f60"]`},
		{"namespace only", `1/名字`, `1/名字`},
		{"namespace with a bracket left alone", `4/x{你,{"message":"é"}`, `4/x{你,{"message":"\u00e9"}`},
		{"namespace, attachments and ack id", `61-/名,12["é"]`, `61-/名,12["\u00e9"]`},
		{"invalid UTF-8 becomes U+FFFD", "2[\"\xff\"]", `2["\ufffd"]`},
		{"U+FFFF and U+10000", "2[\"\uffff\U00010000\"]", `2["\uffff\ud800\udc00"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := []byte(tt.in)
			got, changed := asciiJSON(in)
			if string(got) != tt.want {
				t.Errorf("asciiJSON(%s) = %s, want %s", tt.in, got, tt.want)
			}
			if changed != (tt.in != tt.want) {
				t.Errorf("asciiJSON(%s) changed = %v", tt.in, changed)
			}
			if string(in) != tt.in {
				t.Errorf("asciiJSON modified its input: %s", in)
			}
		})
	}
}

// TestASCIIEncoder checks the encoder pushio gives the library: its output
// is ASCII and decodes to the same strings as the library's own.
// An encoded event is ASCII JSON, and what is written to each socket is a
// plain text buffer copied from it, while the encoder's own result is not
// one (so that the library's broadcast takes its ordinary write path).
func TestASCIIEncoder(t *testing.T) {
	t.Parallel()
	enc := asciiParser{parser.NewParser()}.NewEncoder()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"ascii", "hello", `2["new_msg","hello"]`},
		{"non-ascii escaped", "héllo ☃ 😀", `2["new_msg","h\u00e9llo \u2603 \ud83d\ude00"]`},
		{"markup, NUL and newline", "你<b>\x00\n", `2["new_msg","\u4f60\u003cb\u003e\u0000\n"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bufs := enc.Encode(&parser.Packet{Type: parser.EVENT, Nsp: "/", Data: []any{EventNewMsg, tc.content}})
			if len(bufs) != 1 {
				t.Fatalf("%d buffers, want 1", len(bufs))
			}
			if _, plain := bufs[0].(*types.StringBuffer); plain {
				t.Error("the encoder returned a *types.StringBuffer: broadcasts would build a PreparedMessage per socket")
			}
			c := bufs[0].Clone()
			sb, ok := c.(*types.StringBuffer)
			if !ok {
				t.Fatalf("clone is %T, want *types.StringBuffer (a text frame)", c)
			}
			if got := sb.String(); got != tc.want {
				t.Errorf("clone %q, want %q", got, tc.want)
			}
			if got := bufs[0].String(); got != tc.want {
				t.Errorf("encoded %q, want %q", got, tc.want)
			}
		})
	}
}
