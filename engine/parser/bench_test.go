package parser

import "testing"

// benchPackets is a typical poll's answer: a few pushed events.
var benchPackets = []Packet{
	text(`2["new_msg","\u4f60\u597d, a message of ordinary length"]`),
	text(`2["update_online_count","<b>3</b> online"]`),
	ping(""),
}

func BenchmarkAppendPayload(b *testing.B) {
	for _, bc := range []struct {
		name           string
		protocol       int
		packets        []Packet
		supportsBinary bool
	}{
		{"eio4", 4, benchPackets, false},
		{"eio3-text", 3, benchPackets, false},
		{"eio3-binary", 3, append([]Packet{bin(make([]byte, 64)...)}, benchPackets...), true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				buf, _ = AppendPayload(buf[:0], bc.protocol, bc.packets, bc.supportsBinary)
			}
		})
	}
}

func BenchmarkDecodePayload(b *testing.B) {
	for _, protocol := range []int{3, 4} {
		body, ct := AppendPayload(nil, protocol, benchPackets, false)
		b.Run(map[int]string{3: "eio3-text", 4: "eio4"}[protocol], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodePayload(protocol, body, ct); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = AppendFrame(buf[:0], 4, benchPackets[0])
	}
}
