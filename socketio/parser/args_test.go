package parser

import (
	"errors"
	"reflect"
	"testing"
)

func TestArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		text        string
		attachments [][]byte
		want        []any
	}{
		{"event", `2["ev","x",1,true,null,{"a":[1.5]}]`, nil, []any{"ev", "x", 1.0, true, nil, map[string]any{"a": []any{1.5}}}},
		{"ack", `31[]`, nil, []any{}},
		{"binary event", `51-["ev",{"_placeholder":true,"num":0}]`, [][]byte{{1, 2}}, []any{"ev", []byte{1, 2}}},
		{"nested placeholders", `62-5[{"f":[{"_placeholder":true,"num":1}]},{"_placeholder":true,"num":0}]`, [][]byte{{1}, {2}}, []any{map[string]any{"f": []any{[]byte{2}}}, []byte{1}}},
		{"placeholder false is data", `2["ev",{"_placeholder":false,"num":0}]`, nil, []any{"ev", map[string]any{"_placeholder": false, "num": 0.0}}},
		{"connect without data", `0`, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Decode([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Args(tc.attachments)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Args = %#v, %v; want %#v", got, err, tc.want)
			}
		})
	}
}

func TestArgsErrors(t *testing.T) {
	t.Parallel()
	one := [][]byte{{1}}
	for _, tc := range []struct {
		name        string
		text        string
		attachments [][]byte
	}{
		{"placeholder in a plain event", `2["ev",{"_placeholder":true,"num":0}]`, nil},
		{"missing num", `51-["ev",{"_placeholder":true}]`, one},
		{"num out of range", `51-["ev",{"_placeholder":true,"num":1}]`, one},
		{"negative num", `51-["ev",{"_placeholder":true,"num":-1}]`, one},
		{"fractional num", `52-["ev",{"_placeholder":true,"num":0.5}]`, [][]byte{{1}, {2}}},
		{"num as a string", `51-["ev",{"_placeholder":true,"num":"0"}]`, one},
		{"fewer attachments than announced", `52-["ev",{"_placeholder":true,"num":0}]`, one},
		{"more attachments than announced", `51-["ev",{"_placeholder":true,"num":0}]`, [][]byte{{1}, {2}}},
		{"number out of range", `2["login",1e999]`, nil},
		{"connect object", `0{"a":1}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Decode([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := p.Args(tc.attachments); !errors.Is(err, ErrBadPacket) {
				t.Fatalf("Args = %#v, %v; want ErrBadPacket", got, err)
			}
		})
	}
}

// TestRoundTrip: Decode(Encode(x)) gives x back, attachments and all.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		t   Type
		nsp string
		id  int64
		v   []any
	}{
		{Event, "/", -1, []any{"login", "张三 😀", 1.25, false, nil}},
		{Event, "/chat", 7, []any{"ev", map[string]any{"k": []any{"é", 2.0}}}},
		{Event, "/", -1, []any{"file", []byte("abc"), map[string]any{"b": []byte{0, 255}}}},
		{Ack, "/", 0, []any{}},
		{Ack, "/a", 1 << 62, []any{[]byte{}, "x"}},
	} {
		text, atts, err := Encode(nil, tc.t, tc.nsp, tc.id, tc.v)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Decode(text)
		if err != nil {
			t.Fatalf("Decode(%s) = %v", text, err)
		}
		args, err := p.Args(atts)
		if err != nil || p.Nsp != tc.nsp || p.ID != tc.id || !reflect.DeepEqual(args, tc.v) {
			t.Errorf("%s decodes to %+v, %#v, %v; want %#v", text, show(p), args, err, tc.v)
		}
	}
}
