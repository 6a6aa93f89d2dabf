package parser

import (
	"net/url"
	"strings"
	"testing"
)

func TestJSONP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, index, payload, want string
	}{
		{"plain", "0", "6:4hello", `___eio[0]("6:4hello");`},
		{"index keeps digits only", "1</script>2", "1:6", `___eio[12]("1:6");`},
		{"no index", "", "1:6", `___eio[]("1:6");`},
		{"quotes and backslashes", "3", `11:42["a\"b"]`, `___eio[3]("11:42[\"a\\\"b\"]");`},
		{"controls", "3", "\b\f\n\r\t\x01\x1f\x7f", `___eio[3]("\b\f\n\r\t\u0001\u001f` + "\x7f" + `");`},
		{"non-ASCII as is", "3", "é😀", `___eio[3]("é😀");`},
		{"line and paragraph separators", "3", "a\u2028b\u2029c", `___eio[3]("a\u2028b\u2029c");`},
		{"invalid UTF-8", "3", "a\xffb", `___eio[3]("a` + "\uFFFD" + `b");`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := JSONP([]byte("keep"), tc.index, []byte(tc.payload))
			if want := "keep" + tc.want; string(got) != want {
				t.Fatalf("JSONP = %s, want %s", got, want)
			}
		})
	}
}

// clientJSONPBody is the form socket.io-client 1.x and 2.x post: the
// payload with backslash-n escaped as `\\n` and newlines as `\n`.
func clientJSONPBody(payload string) string {
	escaped := strings.ReplaceAll(payload, `\n`, "\\\n")
	escaped = strings.ReplaceAll(escaped, "\n", `\n`)
	return "d=" + url.QueryEscape(escaped)
}

func TestDecodeJSONPBody(t *testing.T) {
	t.Parallel()
	for _, payload := range []string{
		`15:42["ev","x y"]`,
		"14:42[\"a\nb\"]",
		`15:42["a\nb"]`,
		`16:42["a\\nb"]`,
		"a\\\\nb\n\n\\n\\",
		"+&=% é😀",
	} {
		got, err := DecodeJSONPBody([]byte(clientJSONPBody(payload)))
		if err != nil || string(got) != payload {
			t.Errorf("DecodeJSONPBody(%q) = %q, %v; want %q", clientJSONPBody(payload), got, err, payload)
		}
	}
	for _, tc := range []struct {
		name, body, want string
		err              error
	}{
		{"other fields ignored", "x=1&d=1:6&y=2", "1:6", nil},
		{"plus is a space", "d=a+b", "a b", nil},
		{"backslash before a newline reads as backslash-n, as in Node", clientJSONPBody("\\\n"), `\n`, nil},
		{"no d", "x=1", "", ErrBadPayload},
		{"empty body", "", "", ErrBadPayload},
		{"two d", "d=1:6&d=1:6", "", ErrBadPayload},
		{"bad escape", "d=%zz", "", ErrBadPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeJSONPBody([]byte(tc.body))
			checkErr(t, err, tc.err)
			if string(got) != tc.want {
				t.Fatalf("DecodeJSONPBody = %q, want %q", got, tc.want)
			}
		})
	}
}
