package parser

import (
	"bytes"
	"testing"
)

func TestDecodeFrame(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		protocol int
		binary   bool
		frame    string
		want     Packet
		err      error
	}{
		{"ping probe", 4, false, "2probe", ping("probe"), nil},
		{"pong probe eio3", 3, false, "3probe", Packet{Type: Pong, Data: []byte("probe")}, nil},
		{"message", 4, false, `42["ev","x"]`, text(`2["ev","x"]`), nil},
		{"bare type", 4, false, "6", typed(Noop), nil},
		{"upgrade", 3, false, "5", typed(Upgrade), nil},
		{"empty", 4, false, "", Packet{}, ErrBadPacket},
		{"type 7", 4, false, "7", Packet{}, ErrBadPacket},
		{"type below 0", 4, false, "/", Packet{}, ErrBadPacket},
		{"garbage", 3, false, "garbage", Packet{}, ErrBadPacket},
		{"eio4 binary", 4, true, "\x01\x02", bin(1, 2), nil},
		{"eio4 empty binary", 4, true, "", bin(), nil},
		{"eio3 binary", 3, true, "\x04\x01\x02", bin(1, 2), nil},
		{"eio3 binary of type ping", 3, true, "\x02x", Packet{}, ErrBadPacket},
		{"eio3 empty binary", 3, true, "", Packet{}, ErrBadPacket},
		{"eio4 base64 text", 4, false, "bAQI=", bin(1, 2), nil},
		{"eio4 base64 empty", 4, false, "b", bin(), nil},
		{"eio4 base64 nonzero padding bits", 4, false, "bAQJ=", Packet{}, ErrBadPacket},
		{"eio4 base64 unpadded", 4, false, "bAQI", Packet{}, ErrBadPacket},
		{"eio4 base64 url alphabet", 4, false, "b-_8=", Packet{}, ErrBadPacket},
		{"eio3 base64", 3, false, "b4AQI=", bin(1, 2), nil},
		{"eio3 base64 of type ping", 3, false, "b2AQI=", Packet{}, ErrBadPacket},
		{"eio3 base64 without type", 3, false, "b", Packet{}, ErrBadPacket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeFrame(tc.protocol, tc.binary, []byte(tc.frame))
			checkErr(t, err, tc.err)
			if tc.err == nil && !samePacket(got, tc.want) {
				t.Fatalf("DecodeFrame = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAppendFrame(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		protocol int
		p        Packet
		want     string
	}{
		{"ping probe", 4, ping("probe"), "2probe"},
		{"open", 3, Packet{Type: Open, Data: []byte(`{"sid":"x"}`)}, `0{"sid":"x"}`},
		{"bare pong", 4, typed(Pong), "3"},
		{"message", 3, text(`2["ev"]`), `42["ev"]`},
		{"eio4 binary", 4, bin(1, 2), "\x01\x02"},
		{"eio3 binary", 3, bin(1, 2), "\x04\x01\x02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := AppendFrame([]byte("keep"), tc.protocol, tc.p)
			if want := "keep" + tc.want; string(got) != want {
				t.Fatalf("AppendFrame = %q, want %q", got, want)
			}
			back, err := DecodeFrame(tc.protocol, tc.p.Binary, got[len("keep"):])
			if err != nil || !samePacket(back, tc.p) {
				t.Fatalf("DecodeFrame(AppendFrame) = %v, %v; want %v", back, err, tc.p)
			}
		})
	}
}

func TestFrameAliasesInput(t *testing.T) {
	t.Parallel()
	frame := []byte("4hello")
	p, err := DecodeFrame(4, false, frame)
	if err != nil {
		t.Fatal(err)
	}
	if &p.Data[0] != &frame[1] || !bytes.Equal(p.Data, []byte("hello")) {
		t.Fatalf("Data %q does not alias the frame", p.Data)
	}
}
