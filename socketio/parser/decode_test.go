package parser

import (
	"errors"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		text string
		want Packet
		data string // want.Data; "" for none
	}{
		{"connect", "0", Packet{Type: Connect, Nsp: "/", ID: -1}, ""},
		{"connect with auth", `0{"token":"x"}`, Packet{Type: Connect, Nsp: "/", ID: -1}, `{"token":"x"}`},
		{"connect to a namespace", "0/admin,", Packet{Type: Connect, Nsp: "/admin", ID: -1}, ""},
		{"connect, namespace without comma", "0/admin", Packet{Type: Connect, Nsp: "/admin", ID: -1}, ""},
		{"connect with a protocol 4 query", "0/admin?token=x,", Packet{Type: Connect, Nsp: "/admin?token=x", ID: -1}, ""},
		{"connect to a namespace with auth", `0/admin,{"a":1}`, Packet{Type: Connect, Nsp: "/admin", ID: -1}, `{"a":1}`},
		{"disconnect", "1", Packet{Type: Disconnect, Nsp: "/", ID: -1}, ""},
		{"disconnect from a namespace", "1/admin,", Packet{Type: Disconnect, Nsp: "/admin", ID: -1}, ""},
		{"event", `2["new_msg","a&lt;b"]`, Packet{Type: Event, Nsp: "/", ID: -1}, `["new_msg","a&lt;b"]`},
		{"event with ack id", `21["ev","x"]`, Packet{Type: Event, Nsp: "/", ID: 1}, `["ev","x"]`},
		{"event on a namespace with ack id", `2/chat,42["ev"]`, Packet{Type: Event, Nsp: "/chat", ID: 42}, `["ev"]`},
		{"event with spaces", `2[ "ev" ]`, Packet{Type: Event, Nsp: "/", ID: -1}, `[ "ev" ]`},
		{"event with the largest id", `29223372036854775807["ev"]`, Packet{Type: Event, Nsp: "/", ID: 1<<63 - 1}, `["ev"]`},
		{"ack", `31["ok",2]`, Packet{Type: Ack, Nsp: "/", ID: 1}, `["ok",2]`},
		{"empty ack", `37[]`, Packet{Type: Ack, Nsp: "/", ID: 7}, `[]`},
		{"connect error", `4/admin,{"message":"Invalid namespace"}`, Packet{Type: ConnectError, Nsp: "/admin", ID: -1}, `{"message":"Invalid namespace"}`},
		{"connect error as a string (protocol 4)", `4"Not authorized"`, Packet{Type: ConnectError, Nsp: "/", ID: -1}, `"Not authorized"`},
		{"binary event", `51-["ev",{"_placeholder":true,"num":0}]`, Packet{Type: BinaryEvent, Nsp: "/", ID: -1, Attachments: 1}, `["ev",{"_placeholder":true,"num":0}]`},
		{"binary ack", `62-/a,9[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, Packet{Type: BinaryAck, Nsp: "/a", ID: 9, Attachments: 2}, `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
		{"binary event, no attachments", `50-["ev"]`, Packet{Type: BinaryEvent, Nsp: "/", ID: -1}, `["ev"]`},
		{"binary event, the most attachments", `510-["ev"]`, Packet{Type: BinaryEvent, Nsp: "/", ID: -1, Attachments: 10}, `["ev"]`},
		{"non-ASCII", `2["login","张三 😀"]`, Packet{Type: Event, Nsp: "/", ID: -1}, `["login","张三 😀"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if tc.data != "" {
				want.Data = []byte(tc.data)
			}
			if !samePacket(got, want) || (tc.data == "") != (got.Data == nil) {
				t.Fatalf("Decode = %+v, want %+v", show(got), show(want))
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, text string }{
		{"empty", ""},
		{"unknown type", "7"},
		{"type below 0", "/"},
		{"letter", "x"},
		{"not UTF-8", "2[\"login\",\"\xff\xfe\"]"},
		{"event without data", "2"},
		{"cut JSON", "2["},
		{"event as an object", "2{}"},
		{"empty event", "2[]"},
		{"number as event name", "2[1,2]"},
		{"unterminated event", `2["login"`},
		{"trailing garbage", `2["ev"]x`},
		{"two values", `2["ev"]["ev"]`},
		{"event as a string", `2"ev"`},
		{"ack without id", `3["x"]`},
		{"ack without data", "31"},
		{"ack as an object", `31{}`},
		{"ack id overflow", `299999999999999999999["login","x"]`},
		{"connect with an array", `0["x"]`},
		{"connect with a string", `0"x"`},
		{"connect with an id", `01{}`},
		{"connect with null", `0null`},
		{"disconnect with data", `1{}`},
		{"disconnect with an id", `11`},
		{"connect error without data", "4"},
		{"connect error as a number", "41"},
		{"connect error as an array", `4["x"]`},
		{"attachments on an event", `21-["ev"]`},
		{"binary event without count", `5-["ev"]`},
		{"binary event without dash", `51["ev"]`},
		{"binary event, count only", `51`},
		{"too many attachments", `511-["ev"]`},
		{"huge attachment count", `599999999999999999999-["ev"]`},
		{"binary event with a number as name", `51-[1,{"_placeholder":true,"num":0}]`},
		{"binary ack without id", `61-[{"_placeholder":true,"num":0}]`},
		{"namespace then garbage", `2/a,x`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if p, err := Decode([]byte(tc.text)); !errors.Is(err, ErrBadPacket) {
				t.Fatalf("Decode(%q) = %+v, %v; want ErrBadPacket", tc.text, show(p), err)
			}
		})
	}
}

func TestDecodeDeepNesting(t *testing.T) {
	t.Parallel()
	text := `2["login",` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + "]"
	if _, err := Decode([]byte(text)); err != nil {
		t.Fatal(err)
	}
}
