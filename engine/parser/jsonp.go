package parser

import (
	"bytes"
	"net/url"
	"unicode/utf8"
)

// JSONP appends to dst the answer to a protocol 3 JSONP poll:
// ___eio[<index>]("<payload>"); with the payload (a text payload) written
// as a JS string literal, as JSON.stringify writes it, U+2028 and U+2029
// escaped too, so the script parses in every browser. index is the
// request's j parameter; anything in it but digits is dropped, as Node
// does. Invalid UTF-8 in payload becomes U+FFFD.
func JSONP(dst []byte, index string, payload []byte) []byte {
	dst = append(dst, "___eio["...)
	for i := 0; i < len(index); i++ {
		if c := index[i]; c >= '0' && c <= '9' {
			dst = append(dst, c)
		}
	}
	dst = append(dst, `]("`...)
	dst = appendJSString(dst, payload)
	return append(dst, `");`...)
}

// appendJSString appends the inside of a JS string literal for s.
func appendJSString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			i += size
			switch r {
			case '\u2028', '\u2029':
				dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			default:
				dst = utf8.AppendRune(dst, r)
			}
			continue
		}
		i++
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return dst
}

// DecodeJSONPBody returns the text payload in the body of a protocol 3
// JSONP POST, a form (application/x-www-form-urlencoded) whose field d
// holds it. The client escaped the payload's newlines for the form's
// textarea: a newline as `\n` and a backslash-n as `\\n`; this undoes it
// as Node does. The form must parse and hold exactly one d; other fields
// are ignored.
func DecodeJSONPBody(body []byte) ([]byte, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badPayload("JSONP form: %w", err)
	}
	d := form["d"]
	if len(d) != 1 {
		return nil, badPayload("JSONP form has %d d fields, want 1", len(d))
	}
	return unescapeNewlines([]byte(d[0])), nil
}

// unescapeNewlines turns each `\n` not preceded by a backslash into a
// newline, then each `\\n` into `\n`: the two replacements engine.io 3
// makes, in its order.
func unescapeNewlines(s []byte) []byte {
	if bytes.IndexByte(s, '\\') < 0 {
		return s
	}
	out := s[:0] // the output never outgrows the input read so far
	for i := 0; i < len(s); {
		switch {
		case bytes.HasPrefix(s[i:], []byte(`\\n`)):
			out = append(out, s[i:i+3]...)
			i += 3
		case bytes.HasPrefix(s[i:], []byte(`\n`)):
			out = append(out, '\n')
			i += 2
		default:
			out = append(out, s[i])
			i++
		}
	}
	return bytes.ReplaceAll(out, []byte(`\\n`), []byte(`\n`))
}
