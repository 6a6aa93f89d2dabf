package pushapi

import "strings"

// replacement is U+FFFD, which PHP writes for an invalid UTF-8 sequence.
const replacement = "\uFFFD"

// HTMLSpecialChars escapes s exactly as PHP 8.1+ htmlspecialchars($s) does
// with its defaults (ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML401, UTF-8,
// double_encode): & < > " ' become &amp; &lt; &gt; &quot; &#039;, and each
// invalid UTF-8 sequence, cut where PHP's decoder cuts it, becomes U+FFFD.
// Everything else, NUL and newlines included, is kept.
func HTMLSpecialChars(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch c {
			case '&':
				b.WriteString("&amp;")
			case '<':
				b.WriteString("&lt;")
			case '>':
				b.WriteString("&gt;")
			case '"':
				b.WriteString("&quot;")
			case '\'':
				b.WriteString("&#039;")
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		n, ok := phpUTF8Len(s[i:])
		if ok {
			b.WriteString(s[i : i+n])
		} else {
			b.WriteString(replacement)
		}
		i += n
	}
	return b.String()
}

// phpUTF8Len returns the length of the multi-byte sequence at the start of
// s (s[0] >= 0x80) and whether it is valid; for an invalid one, the number
// of bytes PHP's get_next_char (ext/standard/html.c) consumes as one error.
func phpUTF8Len(s string) (int, bool) {
	c := s[0]
	avail := len(s)
	switch {
	case c < 0xc2:
		return 1, false
	case c < 0xe0:
		if avail < 2 {
			return 1, false
		}
		if !isTrail(s[1]) {
			if isLead(s[1]) {
				return 1, false
			}
			return 2, false
		}
		return 2, true
	case c < 0xf0:
		if avail < 3 || !isTrail(s[1]) || !isTrail(s[2]) {
			switch {
			case avail < 2 || isLead(s[1]):
				return 1, false
			case avail < 3 || isLead(s[2]):
				return 2, false
			default:
				return 3, false
			}
		}
		r := rune(c&0x0f)<<12 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f)
		if r < 0x800 || (r >= 0xd800 && r <= 0xdfff) {
			return 3, false
		}
		return 3, true
	case c < 0xf5:
		if avail < 4 || !isTrail(s[1]) || !isTrail(s[2]) || !isTrail(s[3]) {
			switch {
			case avail < 2 || isLead(s[1]):
				return 1, false
			case avail < 3 || isLead(s[2]):
				return 2, false
			case avail < 4 || isLead(s[3]):
				return 3, false
			default:
				return 4, false
			}
		}
		r := rune(c&0x07)<<18 | rune(s[1]&0x3f)<<12 | rune(s[2]&0x3f)<<6 | rune(s[3]&0x3f)
		if r < 0x10000 || r > 0x10ffff {
			return 4, false
		}
		return 4, true
	default:
		return 1, false
	}
}

// isLead and isTrail are PHP's utf8_lead and utf8_trail.
func isLead(c byte) bool  { return c < 0x80 || (c >= 0xc2 && c <= 0xf4) }
func isTrail(c byte) bool { return c >= 0x80 && c <= 0xbf }

// needsEscape reports whether HTMLSpecialChars would change s: it has one
// of & < > " ' or a byte beyond ASCII.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80, c == '&', c == '<', c == '>', c == '"', c == '\'':
			return true
		}
	}
	return false
}
