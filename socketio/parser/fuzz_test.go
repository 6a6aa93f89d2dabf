package parser

import (
	"reflect"
	"testing"
)

// FuzzSocketPacket: no text makes Decode or Args panic; what decodes
// re-encodes (header and data as they are) to a packet that decodes the
// same; and the args of an event or ack, encoded by Encode, decode to the
// same args.
func FuzzSocketPacket(f *testing.F) {
	for _, s := range []string{
		"0", `0{"token":"x"}`, "0/admin,", `4/admin,{"message":"Invalid namespace"}`,
		`2["new_msg","a&lt;b"]`, `21["ev","x"]`, `31["ok"]`, `2/chat,5["ev",{"a":[1,"é"]}]`,
		`51-["ev",{"_placeholder":true,"num":0}]`, `62-/a,9[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := Decode(text)
		if err != nil {
			return
		}
		again := append(appendHeader(nil, p.Type, p.Attachments, p.Nsp, p.ID), p.Data...)
		back, err := Decode(again)
		if err != nil || !samePacket(back, p) {
			t.Fatalf("%s re-encoded as %s decodes to %s, %v", show(p), again, show(back), err)
		}
		attachments := make([][]byte, p.Attachments)
		for i := range attachments {
			attachments[i] = []byte{byte(i)}
		}
		args, err := p.Args(attachments)
		if err != nil || args == nil {
			return
		}
		enc, encAtts, err := Encode(nil, p.Type, p.Nsp, p.ID, args)
		if err != nil {
			t.Fatalf("Encode(%#v) of %s: %v", args, show(p), err)
		}
		q, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode(%s) = %v", enc, err)
		}
		qargs, err := q.Args(encAtts)
		if err != nil || q.Nsp != p.Nsp || q.ID != p.ID || !reflect.DeepEqual(qargs, args) {
			t.Fatalf("%s: args %#v encode as %s, decode to %s %#v, %v", show(p), args, enc, show(q), qargs, err)
		}
	})
}
