package pushapi

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pushio/pushio/internal/test/testlog"
)

// entities are the only things an escaped string may start with '&'.
var entities = []string{"&amp;", "&lt;", "&gt;", "&quot;", "&#039;"}

func FuzzHTMLSpecialChars(f *testing.F) {
	for _, s := range []string{"", "<a href=\"x\">'&'</a>", "&amp;", "\xc3\x28", "\xed\xa0\x80", "\xf0\x9f\x98", "当前😀", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := HTMLSpecialChars(in)
		if !utf8.ValidString(out) {
			t.Fatalf("HTMLSpecialChars(%q) = %q: not valid UTF-8", in, out)
		}
		if i := strings.IndexAny(out, `<>"'`); i >= 0 {
			t.Fatalf("HTMLSpecialChars(%q) = %q: raw %q left", in, out, out[i])
		}
		for rest := out; ; {
			i := strings.IndexByte(rest, '&')
			if i < 0 {
				break
			}
			rest = rest[i:]
			if !hasEntityPrefix(rest) {
				t.Fatalf("HTMLSpecialChars(%q) = %q: raw & left", in, out)
			}
			rest = rest[1:]
		}
		if utf8.ValidString(in) && html.UnescapeString(out) != in {
			t.Fatalf("HTMLSpecialChars(%q) = %q: valid UTF-8 does not unescape back", in, out)
		}
	})
}

func hasEntityPrefix(s string) bool {
	for _, e := range entities {
		if strings.HasPrefix(s, e) {
			return true
		}
	}
	return false
}

// FuzzParams feeds arbitrary queries, content types and bodies to the
// request parser and to the whole handler: neither may panic, and every
// answer is one of the API's.
func FuzzParams(f *testing.F) {
	f.Add(true, "type=publish&to=a", "application/x-www-form-urlencoded", "content=hi&to[]=b")
	f.Add(true, "", "application/json", `{"type":"publish","to":["a",1,null],"content":{"x":[1]}}`)
	f.Add(true, "type=count", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"to[]\"\r\n\r\na\r\n--b--\r\n")
	f.Add(false, "type=publish&content[]=x&to=%zz%", "", "")
	f.Add(false, "type=online&uid[0]=a&uid=,&&=&[]=x", "text/plain", "ignored")
	h := New(onlineRecorder("a"), Options{MaxBody: 4096, MaxURL: 4096}, testlog.Logger())
	f.Fuzz(func(t *testing.T, post bool, query, ctype, body string) {
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		newReq := func() *http.Request {
			return &http.Request{
				Method:     method,
				URL:        &url.URL{Path: "/", RawQuery: query},
				RequestURI: "/?" + query,
				Header:     http.Header{"Content-Type": {ctype}},
				Body:       io.NopCloser(strings.NewReader(body)),
			}
		}
		if p, _, err := readParams(newReq()); err == nil {
			for name, field := range p {
				if !field.isArray && len(field.values) != 1 {
					t.Fatalf("field %q is a scalar with %d values", name, len(field.values))
				}
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, newReq())
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("%s ?%s (%s) %q: status %d, body %q", method, query, ctype, body, w.Code, w.Body)
		}
		switch got := w.Body.String(); got {
		case "ok", "offline", "online", "fail":
		default:
			if !strings.HasPrefix(got, `{"uids":`) {
				t.Fatalf("%s ?%s (%s) %q: answer %q", method, query, ctype, body, got)
			}
		}
	})
}
