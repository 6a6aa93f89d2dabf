package pushapi

import "testing"

func TestHTMLSpecialChars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello", "hello"},
		{"empty", "", ""},
		{"specials", `<a href="x">'&'</a>`, "&lt;a href=&quot;x&quot;&gt;&#039;&amp;&#039;&lt;/a&gt;"},
		{"entity double encoded", "&amp;", "&amp;amp;"},
		{"nul and newline kept", "a\x00b\nc", "a\x00b\nc"},
		{"multibyte kept", "当前 é 😀", "当前 é 😀"},
		{"lone continuation", "a\x80b", "a\uFFFDb"},
		{"overlong 2-byte lead", "\xc0\xaf", "\uFFFD\uFFFD"},
		{"truncated 3-byte at end", "\xe2\x82", "\uFFFD"},
		{"3-byte cut by ascii", "\xe2\x82A", "\uFFFDA"},
		{"overlong 3-byte", "\xe0\x80\x80", "\uFFFD"},
		{"surrogate", "\xed\xa0\x80", "\uFFFD"},
		{"above U+10FFFF", "\xf4\x90\x80\x80", "\uFFFD"},
		{"2-byte lead then non-lead non-trail", "\xc3\xc0", "\uFFFD"},
		{"f5 lead", "\xf5\x80", "\uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := HTMLSpecialChars(tt.in); got != tt.want {
				t.Errorf("HTMLSpecialChars(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
