package parser

// DecodeFrame decodes one websocket frame, which holds one packet. A text
// frame is "<digit>[<data>]" (or a binary message in base64, as in
// payloads). A binary frame is a binary message: in protocol 4 the whole
// frame is its data; in protocol 3 the first byte is the packet type,
// which must be Message (byte value 4), and the rest is its data.
// protocol is 3 or 4; any other value is taken as 4.
func DecodeFrame(protocol int, binary bool, frame []byte) (Packet, error) {
	switch {
	case !binary:
		return decodeText(protocol, frame)
	case protocol == 3:
		return decodeBinary3(frame)
	default:
		return Packet{Type: Message, Data: frame, Binary: true}, nil
	}
}

// AppendFrame appends to dst the frame payload for p: a binary frame's
// when p.Binary is set, otherwise a text frame's.
func AppendFrame(dst []byte, protocol int, p Packet) []byte {
	switch {
	case !p.Binary:
		return appendText(dst, protocol, p)
	case protocol == 3:
		return append(append(dst, byte(Message)), p.Data...)
	default:
		return append(dst, p.Data...)
	}
}

// decodeBinary3 decodes a protocol 3 packet in binary form: the type as a
// byte, then the data.
func decodeBinary3(b []byte) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, badPacket("empty binary packet")
	}
	if Type(b[0]) != Message {
		return Packet{}, badPacket("binary packet of type %d, not message", b[0])
	}
	return Packet{Type: Message, Data: b[1:], Binary: true}, nil
}
