package server

import (
	"testing"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

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
