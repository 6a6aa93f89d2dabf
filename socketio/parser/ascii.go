package parser

import (
	"unicode/utf16"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// ASCII appends json to dst with every non-ASCII rune escaped as \uXXXX
// (a surrogate pair above U+FFFF) and invalid UTF-8 as \ufffd, for JSON
// that arrives encoded (from Redis, say). In valid JSON such runes are
// only found inside strings, so the result is the same JSON value.
func ASCII(dst, json []byte) []byte { return appendASCII(dst, json) }

// appendASCII is ASCII for JSON in a string or a []byte.
func appendASCII[T string | []byte](dst []byte, s T) []byte {
	for {
		n := 0
		for n < len(s) && s[n] < utf8.RuneSelf {
			n++
		}
		dst = append(dst, s[:n]...)
		if n == len(s) {
			return dst
		}
		r, size := utf8.DecodeRuneInString(string(s[n:min(n+utf8.UTFMax, len(s))]))
		dst = appendRuneEscape(dst, r)
		s = s[n+size:]
	}
}

// appendRuneEscape appends \uXXXX for r, or two of them for a rune above
// U+FFFF.
func appendRuneEscape(dst []byte, r rune) []byte {
	if r >= 0x10000 {
		hi, lo := utf16.EncodeRune(r)
		return appendU(appendU(dst, hi), lo)
	}
	return appendU(dst, r)
}

func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// appendString appends s as a JSON string in ASCII: quotes, backslashes
// and control characters escaped as JSON.stringify escapes them (\n, \t,
// ... or \u00XX), non-ASCII runes as \uXXXX, invalid UTF-8 as \ufffd;
// '<', '>' and '&' as \u003c, \u003e, \u0026, as pushio has always sent
// them (Go's encoding/json: JSON safe inside HTML); '/' as it is.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			dst = appendRuneEscape(dst, r)
			i += size
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
		case '<', '>', '&':
			dst = appendU(dst, rune(c))
		default:
			if c < 0x20 {
				dst = appendU(dst, rune(c))
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}
