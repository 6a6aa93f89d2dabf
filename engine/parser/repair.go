package parser

import "unicode/utf8"

// RepairEIO3Text undoes, in the text messages of a decoded protocol 3 text
// payload, the extra UTF-8 encoding that socket.io-client 1.x adds, and
// reports whether it changed any. Apply it to text payloads only (not to
// binary payloads or websocket frames, which 1.x sends as they are).
//
// engine.io-client 1.x UTF-8-encodes every string of a text payload into
// a string of byte-valued characters, and XHR then encodes that once
// more: 张三 arrives as the six characters U+00E5 U+00BC U+00A0 U+00E4
// U+00B8 U+0089. Clients 2.x and later send text as it is, and a protocol 3
// request does not say which client sent it, so a message is taken as
// encoded twice only when every character is at most U+00FF, at least one
// is not ASCII, and the characters read as bytes are valid UTF-8; it is
// then replaced by those bytes. Text that passes and was not encoded twice
// is itself mojibake, such as "Ã©" (a lead byte Â…ô followed by the right
// count of U+0080…U+00BF, C1 controls and ¡…¿); ordinary Latin-1 text
// fails the test ("café", "Größe", "n°"), and so does anything beyond
// U+00FF.
func RepairEIO3Text(packets []Packet) bool {
	changed := false
	for i := range packets {
		p := &packets[i]
		if p.Type != Message || p.Binary {
			continue
		}
		if b, ok := undoUTF8Twice(p.Data); ok {
			p.Data = b
			changed = true
		}
	}
	return changed
}

// undoUTF8Twice returns the characters of s as bytes, and true, when s
// passes the test RepairEIO3Text describes. It allocates only for text
// that is not ASCII.
func undoUTF8Twice(s []byte) ([]byte, bool) {
	first := -1
	for i, c := range s {
		if c >= utf8.RuneSelf {
			first = i
			break
		}
	}
	if first < 0 {
		return s, false
	}
	b := append(make([]byte, 0, len(s)), s[:first]...)
	for i := first; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		if r > 0xff { // U+FFFD, for invalid UTF-8, too
			return s, false
		}
		b = append(b, byte(r))
		i += size
	}
	if !utf8.Valid(b) {
		return s, false
	}
	return b, true
}
