package parser

import "testing"

var (
	benchArg  = `"\u4f60\u597d, a pushed message of ordinary length"`
	benchArgs = []any{"new_msg", "你好, a pushed message of ordinary length"}
	benchText = []byte(`2["new_msg","\u4f60\u597d, a pushed message of ordinary length",{"from":"alice","n":3}]`)
)

func BenchmarkAppendEvent(b *testing.B) {
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = AppendEvent(buf[:0], "new_msg", benchArg)
	}
}

func BenchmarkEncode(b *testing.B) {
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		var err error
		if buf, _, err = Encode(buf[:0], Event, "/", -1, benchArgs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(benchText); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkArgs(b *testing.B) {
	p, err := Decode(benchText)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Args(nil); err != nil {
			b.Fatal(err)
		}
	}
}
