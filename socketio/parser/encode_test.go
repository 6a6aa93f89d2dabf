package parser

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

type point struct {
	X    int    `json:"x"`
	Name string `json:"name,omitempty"`
	Tag  string `json:"-"`
}

type named []byte

type score float64

func TestEncode(t *testing.T) {
	t.Parallel()
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name        string
		t           Type
		nsp         string
		id          int64
		v           any
		want        string
		attachments [][]byte
	}{
		{"connect", Connect, "/", -1, nil, "0", nil},
		{"connect with data", Connect, "", -1, map[string]any{"sid": "abc"}, `0{"sid":"abc"}`, nil},
		{"connect to a namespace", Connect, "/admin", -1, nil, "0/admin,", nil},
		{"disconnect", Disconnect, "/admin", -1, nil, "1/admin,", nil},
		{"connect error", ConnectError, "/admin", -1, map[string]any{"message": "Invalid namespace"}, `4/admin,{"message":"Invalid namespace"}`, nil},
		{"connect error as a string", ConnectError, "/", -1, "Invalid namespace", `4"Invalid namespace"`, nil},
		{"event as the old server sent it", Event, "/", -1, []any{"new_msg", "a&lt;b"}, `2["new_msg","a\u0026lt;b"]`, nil},
		{"HTML characters escaped as Go's encoding/json does", Event, "/", -1, []any{"m", "<b>&</b>"}, `2["m","\u003cb\u003e\u0026\u003c/b\u003e"]`, nil},
		{"astral as a surrogate pair", Event, "/", -1, []any{"m", "😀"}, `2["m","\ud83d\ude00"]`, nil},
		{"non-ASCII escaped", Event, "/", -1, []any{"m", "你好 é ☃"}, `2["m","\u4f60\u597d \u00e9 \u2603"]`, nil},
		{"line separator escaped", Event, "/", -1, []any{"m", "\u2028"}, `2["m","\u2028"]`, nil},
		{"invalid UTF-8", Event, "/", -1, []any{"m", "a\xffb"}, `2["m","a\ufffdb"]`, nil},
		{"controls", Event, "/", -1, []any{"m", "\"\\\b\f\n\r\t\x00\x1f\x7f/"}, `2["m","\"\\\b\f\n\r\t\u0000\u001f` + "\x7f" + `/"]`, nil},
		{"event with ack id", Event, "/", 1, []any{"ev", "x"}, `21["ev","x"]`, nil},
		{"event on a namespace", Event, "/chat", 12, []any{"ev"}, `2/chat,12["ev"]`, nil},
		{"ack", Ack, "/", 1, []any{"ok"}, `31["ok"]`, nil},
		{"empty ack", Ack, "/", 3, []any{}, `33[]`, nil},
		{"binary event", Event, "/", -1, []any{"ev", []byte{1, 2}}, `51-["ev",{"_placeholder":true,"num":0}]`, [][]byte{{1, 2}}},
		{"binary type given", BinaryEvent, "/", -1, []any{"ev", "x"}, `2["ev","x"]`, nil},
		{"binary ack, nested", Ack, "/a", 4, []any{map[string]any{"f": []any{[]byte{1}, named{2}}}}, `62-/a,4[{"f":[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]}]`, [][]byte{{1}, {2}}},
		{"numbers", Event, "/", -1, []any{"n", 1.0, -0.0, 1.5, 1e21, 1e-7, 123456789012.0, int64(-3), uint8(7), float32(0.1), score(2.5)}, `2["n",1,0,1.5,1e+21,1e-7,123456789012,-3,7,0.1,2.5]`, nil},
		{"not numbers", Event, "/", -1, []any{"n", math.NaN(), math.Inf(1)}, `2["n",null,null]`, nil},
		{"sorted keys", Event, "/", -1, []any{"m", map[string]any{"b": 1, "a": true, "é": nil}}, `2["m",{"a":true,"b":1,"\u00e9":null}]`, nil},
		{"typed map and slice", Event, "/", -1, []any{"m", map[string]int{"z": 1, "y": 2}, []int{3, 4}, [2]bool{true}}, `2["m",{"y":2,"z":1},[3,4],[true,false]]`, nil},
		{"strings", Event, "/", -1, []string{"m", "é"}, `2["m","\u00e9"]`, nil},
		{"pointers and nils", Event, "/", -1, []any{"m", new(int), (*int)(nil), []any(nil), map[string]any(nil)}, `2["m",0,null,null,null]`, nil},
		{"raw JSON made ASCII", Event, "/", -1, []any{"m", json.RawMessage(`{"a": "é"}`)}, `2["m",{"a": "\u00e9"}]`, nil},
		{"struct through encoding/json", Event, "/", -1, []any{"m", point{X: 1, Tag: "t"}, &point{Name: "<é>"}}, `2["m",{"x":1},{"x":0,"name":"<\u00e9>"}]`, nil},
		{"marshaler", Event, "/", -1, []any{"m", when}, `2["m","2024-01-02T03:04:05Z"]`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, atts, err := Encode([]byte("keep"), tc.t, tc.nsp, tc.id, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if want := "keep" + tc.want; string(got) != want || !reflect.DeepEqual(atts, tc.attachments) {
				t.Fatalf("Encode = %s, %v; want %s, %v", got, atts, want, tc.attachments)
			}
			if _, err := Decode(got[len("keep"):]); err != nil {
				t.Fatalf("Decode(Encode) = %v", err)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	cyclic := []any{"ev", nil}
	cyclic[1] = cyclic
	for _, tc := range []struct {
		name string
		t    Type
		nsp  string
		id   int64
		v    any
	}{
		{"unknown type", 7, "/", -1, nil},
		{"namespace without slash", Event, "admin", -1, []any{"ev"}},
		{"namespace with a comma", Event, "/a,b", -1, []any{"ev"}},
		{"namespace not UTF-8", Connect, "/\xff", -1, nil},
		{"event without data", Event, "/", -1, nil},
		{"event as an object", Event, "/", -1, map[string]any{}},
		{"event name a number", Event, "/", -1, []any{1}},
		{"empty event", Event, "/", -1, []any{}},
		{"ack without id", Ack, "/", -1, []any{}},
		{"id below -1", Event, "/", -2, []any{"ev"}},
		{"connect with an id", Connect, "/", 1, nil},
		{"connect with an array", Connect, "/", -1, []any{}},
		{"disconnect with data", Disconnect, "/", -1, map[string]any{}},
		{"binary in a connect", Connect, "/", -1, map[string]any{"b": []byte{1}}},
		{"bad raw JSON", Event, "/", -1, []any{"ev", json.RawMessage(`{`)}},
		{"unsupported value", Event, "/", -1, []any{"ev", make(chan int)}},
		{"cycle", Event, "/", -1, cyclic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, atts, err := Encode([]byte("keep"), tc.t, tc.nsp, tc.id, tc.v)
			if err == nil || string(got) != "keep" || atts != nil {
				t.Fatalf("Encode = %q, %v, %v; want dst unchanged and an error", got, atts, err)
			}
		})
	}
	if _, _, err := Encode(nil, Event, "/", -1, []any{1}); !errors.Is(err, ErrBadPacket) {
		t.Errorf("Encode of a packet Decode refuses: %v, want one wrapping ErrBadPacket", err)
	}
}

func TestAppendEvent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		event string
		args  []string
		want  string
	}{
		{"no args", "ping", nil, `2["ping"]`},
		{"as the old server sent it", "new_msg", []string{`a&lt;b`}, `2["new_msg","a\u0026lt;b"]`},
		{"non-ASCII made ASCII", "new_msg", []string{`你好 😀`, `{"k":"é"}`}, `2["new_msg","\u4f60\u597d \ud83d\ude00","{\"k\":\"\u00e9\"}"]`},
		{"event name escaped", "é\"", []string{"1", "\x00\n"}, `2["\u00e9\"","1","\u0000\n"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := AppendEvent([]byte("keep"), tc.event, tc.args...)
			if want := "keep" + tc.want; string(got) != want {
				t.Fatalf("AppendEvent = %s, want %s", got, want)
			}
			v := []any{tc.event}
			for _, a := range tc.args {
				v = append(v, a)
			}
			enc, _, err := Encode(nil, Event, "/", -1, v)
			if err != nil || string(enc) != tc.want {
				t.Fatalf("Encode = %s, %v; AppendEvent gave %s", enc, err, tc.want)
			}
		})
	}
}

func TestASCII(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"a":"b"}`:    `{"a":"b"}`,
		`["é","😀"]`:    `["\u00e9","\ud83d\ude00"]`,
		"\"\xff\"":     `"\ufffd"`,
		"\"\xe4\xbd\"": `"\ufffd\ufffd"`,
		``:             ``,
	} {
		if got := ASCII([]byte("keep"), []byte(in)); string(got) != "keep"+want {
			t.Errorf("ASCII(%q) = %q, want %q", in, got, "keep"+want)
		}
	}
	// The same JSON value, for valid JSON.
	in := `{"k":"张三 😀 \u00e9","n":[1,"é"]}`
	var a, b any
	if json.Unmarshal([]byte(in), &a) != nil || json.Unmarshal(ASCII(nil, []byte(in)), &b) != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("ASCII changed the value of %s: %v, %v", in, a, b)
	}
	if out := ASCII(nil, []byte(strings.Repeat("é", 3))); strings.ContainsFunc(string(out), func(r rune) bool { return r > 0x7f }) {
		t.Errorf("ASCII left non-ASCII in %q", out)
	}
}

// TestEncodeASCIIAsBefore keeps the old server's asciiJSON table: the same
// packets give the bytes pushio wrote before (ASCII data, the namespace as
// it is, < > & as Go's encoding/json wrote them).
func TestEncodeASCIIAsBefore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		t    Type
		nsp  string
		id   int64
		v    any
		want string
	}{
		{"no data", Connect, "/", -1, nil, `0`},
		{"ascii", Event, "/", -1, []any{"new_msg", "hi <b>"}, `2["new_msg","hi \u003cb\u003e"]`},
		{"bmp", Event, "/", -1, []any{"new_msg", "你好 é"}, `2["new_msg","\u4f60\u597d \u00e9"]`},
		{"astral as a surrogate pair", Event, "/", -1, []any{"new_msg", "😀x𝄞"}, `2["new_msg","\ud83d\ude00x\ud834\udd1e"]`},
		{"counts text", Event, "/", -1, []any{"update_online_count", "当前<b>1</b>人在线"},
			`2["update_online_count","\u5f53\u524d\u003cb\u003e1\u003c/b\u003e\u4eba\u5728\u7ebf"]`},
		{"object data", Connect, "/", -1, map[string]any{"sid": "é"}, `0{"sid":"\u00e9"}`},
		{"ack id", Ack, "/", 7, []any{"é"}, `37["\u00e9"]`},
		{"attachments", Event, "/", -1, []any{"é", []byte{1}}, `51-["\u00e9",{"_placeholder":true,"num":0}]`},
		{"namespace non-ASCII left alone", Event, "/名字", -1, []any{"x", "你"}, `2/名字,["x","\u4f60"]`},
		{"namespace only, with the comma socket.io-parser writes", Disconnect, "/名字", -1, nil, `1/名字,`},
		{"namespace, attachments and ack id", Ack, "/名", 12, []any{"é", []byte{1}}, `61-/名,12["\u00e9",{"_placeholder":true,"num":0}]`},
		{"invalid UTF-8 becomes U+FFFD", Event, "/", -1, []any{"\xff"}, `2["\ufffd"]`},
		{"U+FFFF and U+10000", Event, "/", -1, []any{"\uffff\U00010000"}, `2["\uffff\ud800\udc00"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _, err := Encode(nil, tc.t, tc.nsp, tc.id, tc.v)
			if err != nil || string(got) != tc.want {
				t.Errorf("Encode = %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestASCIILeavesItsInput(t *testing.T) {
	t.Parallel()
	in := []byte(`["你好","é"]`)
	keep := string(in)
	_ = ASCII(nil, in)
	if string(in) != keep {
		t.Errorf("ASCII modified its input: %s", in)
	}
}
