package parser

import (
	"strings"
	"testing"
)

func TestDecodePayload(t *testing.T) {
	t.Parallel()
	const textCT, binCT = ContentTypeText, ContentTypeBinary
	for _, tc := range []struct {
		name     string
		protocol int
		ct       string
		body     string
		want     []Packet
		err      error
	}{
		// Protocol 4.
		{"eio4 two packets", 4, textCT, "4hello\x1e2probe", []Packet{text("hello"), ping("probe")}, nil},
		{"eio4 one packet, no content type", 4, "", "40", []Packet{text("0")}, nil},
		{"eio4 base64", 4, textCT, "bAQI=\x1e4x", []Packet{bin(1, 2), text("x")}, nil},
		{"eio4 empty", 4, textCT, "", nil, ErrBadPayload},
		{"eio4 trailing separator", 4, textCT, "4a\x1e", nil, ErrBadPacket},
		{"eio4 empty packet between", 4, textCT, "4a\x1e\x1e4b", nil, ErrBadPacket},
		{"eio4 unknown type", 4, textCT, "4a\x1e9", nil, ErrBadPacket},
		{"eio4 bad base64", 4, textCT, "b!!", nil, ErrBadPacket},
		{"eio4 binary body", 4, binCT, "\x01\x01\xff4", nil, ErrBadPayload},
		// Protocol 3, text.
		{"eio3 the protocol's example", 3, textCT, "6:4hello2:4€", []Packet{text("hello"), text("€")}, nil},
		{"eio3 astral counts two", 3, textCT, "3:4😀", []Packet{text("😀")}, nil},
		{"eio3 astral split", 3, textCT, "2:4😀", nil, ErrBadPayload},
		{"eio3 length in bytes", 3, textCT, "4:4€", nil, ErrBadPayload},
		{"eio3 leading zeros", 3, textCT, "01:6", []Packet{typed(Noop)}, nil},
		{"eio3 ping probe", 3, "text/plain;charset=UTF-8", "6:2probe", []Packet{ping("probe")}, nil},
		{"eio3 base64", 3, textCT, "6:b4AQI=2:4x", []Packet{bin(1, 2), text("x")}, nil},
		{"eio3 bad base64", 3, textCT, "6:b4AQJ=", nil, ErrBadPacket},
		{"eio3 base64 of type open", 3, textCT, "6:b0AQI=", nil, ErrBadPacket},
		{"eio3 empty", 3, textCT, "", nil, ErrBadPayload},
		{"eio3 empty packet", 3, textCT, "0:", nil, ErrBadPacket},
		{"eio3 trailing garbage", 3, textCT, "2:4xy", nil, ErrBadPayload},
		{"eio3 trailing length", 3, textCT, "2:4x2", nil, ErrBadPayload},
		{"eio3 no length", 3, textCT, ":4", nil, ErrBadPayload},
		{"eio3 space in length", 3, textCT, " 2:4x", nil, ErrBadPayload},
		{"eio3 hex length", 3, textCT, "0x2:4x", nil, ErrBadPayload},
		{"eio3 negative length", 3, textCT, "-2:4x", nil, ErrBadPayload},
		{"eio3 huge length", 3, textCT, "99999999999:4x", nil, ErrBadPayload},
		{"eio3 past the end", 3, textCT, "10:4abc", nil, ErrBadPayload},
		{"eio3 unknown type", 3, textCT, "2:9x", nil, ErrBadPacket},
		{"eio3 invalid UTF-8", 3, textCT, "2:4\xff", nil, ErrBadPayload},
		// Protocol 3, binary.
		{"eio3 binary string", 3, binCT, "\x00\x06\xff4hello", []Packet{text("hello")}, nil},
		{"eio3 binary content type case", 3, "Application/Octet-Stream", "\x00\x01\xff6", []Packet{typed(Noop)}, nil},
		{"eio3 binary bytes", 3, binCT, "\x01\x03\xff\x04\x01\x02", []Packet{bin(1, 2)}, nil},
		{"eio3 binary string length in bytes", 3, binCT, "\x00\x04\xff4€\x01\x01\xff\x04", []Packet{text("€"), bin()}, nil},
		{"eio3 binary two-digit length", 3, binCT, "\x00\x01\x01\xff4" + strings.Repeat("a", 10), []Packet{text(strings.Repeat("a", 10))}, nil},
		{"eio3 binary string in base64", 3, binCT, "\x00\x06\xffb4AQI=", []Packet{bin(1, 2)}, nil},
		{"eio3 binary bad marker", 3, binCT, "\x02\x01\xff4", nil, ErrBadPayload},
		{"eio3 binary no digits", 3, binCT, "\x00\xff4", nil, ErrBadPayload},
		{"eio3 binary digit over 9", 3, binCT, "\x00\x0a\xff4", nil, ErrBadPayload},
		{"eio3 binary too many digits", 3, binCT, "\x00" + strings.Repeat("\x01", 10) + "\xff4", nil, ErrBadPayload},
		{"eio3 binary no end of length", 3, binCT, "\x00\x01", nil, ErrBadPayload},
		{"eio3 binary past the end", 3, binCT, "\x00\x09\xff4", nil, ErrBadPayload},
		{"eio3 binary empty string packet", 3, binCT, "\x00\x00\xff", nil, ErrBadPacket},
		{"eio3 binary packet of type ping", 3, binCT, "\x01\x02\xff\x02x", nil, ErrBadPacket},
		{"eio3 binary empty binary packet", 3, binCT, "\x01\x00\xff", nil, ErrBadPacket},
		{"eio3 binary string not UTF-8", 3, binCT, "\x00\x02\xff4\xff", nil, ErrBadPacket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodePayload(tc.protocol, []byte(tc.body), tc.ct)
			checkErr(t, err, tc.err)
			if tc.err == nil && !samePackets(got, tc.want) {
				t.Fatalf("DecodePayload = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAppendPayload(t *testing.T) {
	t.Parallel()
	mixed := []Packet{text("hello"), ping("probe"), bin(1, 2, 3)}
	for _, tc := range []struct {
		name           string
		protocol       int
		packets        []Packet
		supportsBinary bool
		want, ct       string
	}{
		{"eio4", 4, mixed, true, "4hello\x1e2probe\x1ebAQID", ContentTypeText},
		{"eio4 one packet", 4, []Packet{text(`0{"sid":"x"}`)}, false, `40{"sid":"x"}`, ContentTypeText},
		{"eio3 text", 3, mixed, false, "6:4hello6:2probe6:b4AQID", ContentTypeText},
		{"eio3 binary", 3, mixed, true, "\x00\x06\xff4hello\x00\x06\xff2probe\x01\x04\xff\x04\x01\x02\x03", ContentTypeBinary},
		{"eio3 binary supported, none sent", 3, []Packet{text("x"), typed(Noop)}, true, "2:4x1:6", ContentTypeText},
		{"eio3 text counts UTF-16", 3, []Packet{text("€"), text("😀"), text("é😀")}, false, "2:4€3:4😀4:4é😀", ContentTypeText},
		{"eio3 binary counts bytes", 3, []Packet{text("€"), bin()}, true, "\x00\x04\xff4€\x01\x01\xff\x04", ContentTypeBinary},
		{"eio3 binary two-digit length", 3, []Packet{text(strings.Repeat("a", 10)), bin(9)}, true, "\x00\x01\x01\xff4" + strings.Repeat("a", 10) + "\x01\x02\xff\x04\x09", ContentTypeBinary},
		{"eio3 no packets", 3, nil, false, "0:", ContentTypeText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, ct := AppendPayload([]byte("keep"), tc.protocol, tc.packets, tc.supportsBinary)
			if got, want := string(body), "keep"+tc.want; got != want || ct != tc.ct {
				t.Fatalf("AppendPayload = %q, %q; want %q, %q", got, ct, want, tc.ct)
			}
			if len(tc.packets) == 0 {
				return
			}
			back, err := DecodePayload(tc.protocol, body[len("keep"):], ct)
			if err != nil || !samePackets(back, tc.packets) {
				t.Fatalf("DecodePayload(AppendPayload) = %v, %v; want %v", back, err, tc.packets)
			}
		})
	}
}

// TestPayloadRoundTrip: whatever AppendPayload writes, DecodePayload reads
// back, for every protocol and payload shape.
func TestPayloadRoundTrip(t *testing.T) {
	t.Parallel()
	lists := [][]Packet{
		{text("x")},
		{typed(Noop)},
		{ping("probe"), typed(Pong), typed(Close)},
		{text("张三 😀 é"), bin(0xff, 0, 0x1e), text("")},
		{bin()},
		{text(strings.Repeat("😀", 300)), bin(make([]byte, 1000)...)},
		{text("colon:in:data"), text("9:4x")},
	}
	for _, packets := range lists {
		for _, protocol := range []int{3, 4} {
			for _, supportsBinary := range []bool{false, true} {
				body, ct := AppendPayload(nil, protocol, packets, supportsBinary)
				got, err := DecodePayload(protocol, body, ct)
				if err != nil || !samePackets(got, packets) {
					t.Errorf("EIO %d binary=%v: %v round trips to %v, %v (body %q)", protocol, supportsBinary, packets, got, err, body)
				}
			}
		}
	}
}
