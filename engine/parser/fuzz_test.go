package parser

import "testing"

// FuzzEnginePayload: no body makes DecodePayload (or DecodeJSONPBody)
// panic, and what decodes re-encodes, in every shape, to a body that
// decodes the same.
func FuzzEnginePayload(f *testing.F) {
	f.Add(uint8(4), false, []byte("4hello\x1e2probe\x1ebAQI="))
	f.Add(uint8(3), false, []byte("6:4hello2:4€3:4😀6:b4AQI="))
	f.Add(uint8(3), true, []byte("\x00\x06\xff4hello\x01\x03\xff\x04\x01\x02"))
	f.Add(uint8(3), false, []byte("d=1%3A6&x=%5Cn"))
	f.Fuzz(func(t *testing.T, proto uint8, binary bool, body []byte) {
		protocol := 3 + int(proto%2)
		ct := ContentTypeText
		if binary {
			ct = ContentTypeBinary
		}
		_, _ = DecodeJSONPBody(body)
		packets, err := DecodePayload(protocol, body, ct)
		if err != nil {
			return
		}
		for _, supportsBinary := range []bool{false, true} {
			again, ct := AppendPayload(nil, protocol, packets, supportsBinary)
			back, err := DecodePayload(protocol, again, ct)
			if err != nil || !samePackets(back, packets) {
				t.Fatalf("%v re-encoded as %q decodes to %v, %v", packets, again, back, err)
			}
		}
	})
}

// FuzzEngineFrame: no frame makes DecodeFrame panic, and what decodes
// re-encodes to a frame that decodes the same.
func FuzzEngineFrame(f *testing.F) {
	f.Add(uint8(4), false, []byte("2probe"))
	f.Add(uint8(4), true, []byte("\x01\x02"))
	f.Add(uint8(3), true, []byte("\x04\x01\x02"))
	f.Add(uint8(3), false, []byte("b4AQI="))
	f.Fuzz(func(t *testing.T, proto uint8, binary bool, frame []byte) {
		protocol := 3 + int(proto%2)
		p, err := DecodeFrame(protocol, binary, frame)
		if err != nil {
			return
		}
		again := AppendFrame(nil, protocol, p)
		back, err := DecodeFrame(protocol, p.Binary, again)
		if err != nil || !samePacket(back, p) {
			t.Fatalf("%v re-encoded as %q decodes to %v, %v", p, again, back, err)
		}
	})
}
