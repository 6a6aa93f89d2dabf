package parser

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"
)

// maxLengthDigits bounds the length prefixes of protocol 3 payloads: a
// billion is well past any body a server reads.
const maxLengthDigits = 9

var errLength = errors.New("length is not 1-9 digit bytes ended by 0xFF")

// decodeTextPayload3 decodes "<n>:<packet>"..., n counting the packet in
// UTF-16 code units, as a JS string's length does. body must be UTF-8.
func decodeTextPayload3(body []byte) ([]Packet, error) {
	var packets []Packet
	for i := 0; len(body) > 0; i++ {
		colon := bytes.IndexByte(body, ':')
		if colon < 0 {
			return nil, badPayload("%q after the last packet", clip(body))
		}
		n, err := parseLength(body[:colon])
		if err != nil {
			return nil, err
		}
		body = body[colon+1:]
		size, ok := utf16Prefix(body, n)
		if !ok {
			return nil, badPayload("packet %d: length %d runs past the end, splits a character or spans invalid UTF-8", i, n)
		}
		p, err := decodeText(3, body[:size])
		if err != nil {
			return nil, wrapPacket(i, err)
		}
		packets = append(packets, p)
		body = body[size:]
	}
	return packets, nil
}

// parseLength parses a decimal length prefix.
func parseLength(b []byte) (int, error) {
	if len(b) == 0 || len(b) > maxLengthDigits {
		return 0, badPayload("length prefix %q", clip(b))
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, badPayload("length prefix %q", clip(b))
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// utf16Prefix gives how many bytes of b hold its first n UTF-16 code units,
// and false when b is shorter, is not valid UTF-8 there, or has a
// character that straddles the end.
func utf16Prefix(b []byte, n int) (int, bool) {
	i, units := 0, 0
	for units < n && i < len(b) {
		if b[i] < utf8.RuneSelf {
			i++
			units++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return 0, false
		}
		i += size
		units += utf16Units(r)
	}
	return i, units == n
}

// utf16Len is the length of b in UTF-16 code units, an invalid byte
// counting as the one U+FFFD that a JS decoder makes of it.
func utf16Len(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		n += utf16Units(r)
	}
	return n
}

func utf16Units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

func appendTextPayload3(dst []byte, packets []Packet) []byte {
	if len(packets) == 0 {
		return append(dst, "0:"...)
	}
	for _, p := range packets {
		n := 1 + utf16Len(p.Data)
		if p.Binary {
			n = 2 + b64.EncodedLen(len(p.Data))
		}
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, ':')
		dst = appendText(dst, 3, p)
	}
	return dst
}

// Markers of the packets of a protocol 3 binary payload, and the byte that
// ends each length.
const (
	markString = 0
	markBinary = 1
	lengthEnd  = 0xff
)

// decodeBinaryPayload3 decodes, per packet, a marker (string or binary),
// the length as one byte per decimal digit, 0xFF, and the packet: a string
// packet's UTF-8 bytes or a binary packet's type byte and data.
func decodeBinaryPayload3(body []byte) ([]Packet, error) {
	var packets []Packet
	for i := 0; len(body) > 0; i++ {
		mark := body[0]
		if mark != markString && mark != markBinary {
			return nil, badPayload("packet %d: marker %d, want 0 or 1", i, mark)
		}
		n, rest, err := binaryLength(body[1:])
		if err != nil {
			return nil, badPayload("packet %d: %w", i, err)
		}
		if n > len(rest) {
			return nil, badPayload("packet %d: length %d runs past the end", i, n)
		}
		p, err := decodeBinaryPacket3(mark, rest[:n])
		if err != nil {
			return nil, wrapPacket(i, err)
		}
		packets = append(packets, p)
		body = rest[n:]
	}
	return packets, nil
}

// binaryLength reads the digit bytes of a binary payload's length and the
// 0xFF after them, and returns the length and what follows.
func binaryLength(b []byte) (int, []byte, error) {
	n := 0
	for i, c := range b {
		switch {
		case c == lengthEnd && i > 0:
			return n, b[i+1:], nil
		case c > 9 || i == maxLengthDigits:
			return 0, nil, errLength
		}
		n = n*10 + int(c)
	}
	return 0, nil, errLength
}

func decodeBinaryPacket3(mark byte, b []byte) (Packet, error) {
	if mark == markBinary {
		return decodeBinary3(b)
	}
	if !utf8.Valid(b) {
		return Packet{}, badPacket("string packet is not UTF-8")
	}
	return decodeText(3, b)
}

func appendBinaryPayload3(dst []byte, packets []Packet) []byte {
	for _, p := range packets {
		mark := byte(markString)
		if p.Binary {
			mark = markBinary
		}
		dst = append(dst, mark)
		dst = appendDigitBytes(dst, 1+len(p.Data))
		dst = append(dst, lengthEnd)
		if p.Binary {
			dst = append(dst, byte(Message))
		} else {
			dst = append(dst, '0'+byte(p.Type))
		}
		dst = append(dst, p.Data...)
	}
	return dst
}

// appendDigitBytes appends n in decimal, one byte of value 0-9 per digit.
func appendDigitBytes(dst []byte, n int) []byte {
	start := len(dst)
	dst = strconv.AppendInt(dst, int64(n), 10)
	for i := start; i < len(dst); i++ {
		dst[i] -= '0'
	}
	return dst
}

// clip shortens b for an error message.
func clip(b []byte) []byte {
	const most = 16
	if len(b) > most {
		return b[:most]
	}
	return b
}
