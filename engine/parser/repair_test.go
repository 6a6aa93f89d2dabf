package parser

import "testing"

// twice encodes s as socket.io-client 1.x sends it in a text payload: its
// UTF-8 bytes as characters, UTF-8 encoded again.
func twice(s string) string {
	r := make([]rune, 0, len(s))
	for _, b := range []byte(s) {
		r = append(r, rune(b))
	}
	return string(r)
}

func TestRepairEIO3Text(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		in      Packet
		want    Packet
		changed bool
	}{
		{"chinese encoded twice", text(twice(`2["login","张三"]`)), text(`2["login","张三"]`), true},
		{"emoji encoded twice", text(twice("😀")), text("😀"), true},
		{"mojibake is taken as encoded twice", text("Ã©"), text("é"), true},
		{"ascii", text(`2["login","x"]`), text(`2["login","x"]`), false},
		{"latin-1 text", text("café Größe n°"), text("café Größe n°"), false},
		{"beyond U+00FF", text("张三"), text("张三"), false},
		{"mixed", text(twice("é") + "张"), text(twice("é") + "张"), false},
		{"binary message left alone", bin([]byte(twice("é"))...), bin([]byte(twice("é"))...), false},
		{"ping left alone", ping(twice("é")), ping(twice("é")), false},
		{"latin-1 encoded twice", text(twice("café")), text("café"), true},
		{"a lone continuation byte", text(twice("张")[1:]), text(twice("张")[1:]), false},
		{"chinese as 2.x sends it", text("张三"), text("张三"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			packets := []Packet{typed(Noop), tc.in}
			changed := RepairEIO3Text(packets)
			if changed != tc.changed || !samePackets(packets, []Packet{typed(Noop), tc.want}) {
				t.Fatalf("RepairEIO3Text = %v, %v; want %v, %v", changed, packets[1], tc.changed, tc.want)
			}
		})
	}
}

// TestRepairAfterDecode is the whole path of a 1.x POST: the payload's
// lengths count the characters encoded twice.
func TestRepairAfterDecode(t *testing.T) {
	t.Parallel()
	msg := twice(`2["login","李四"]`)
	body, ct := AppendPayload(nil, 3, []Packet{text(msg)}, false)
	packets, err := DecodePayload(3, body, ct)
	if err != nil {
		t.Fatal(err)
	}
	if !RepairEIO3Text(packets) || string(packets[0].Data) != `2["login","李四"]` {
		t.Fatalf("repaired = %q", packets[0].Data)
	}
}
