package pushapi

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/testlog"
	"github.com/pushio/pushio/push"
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
	h := New(onlineRecorder("a"), Options{Requests: settings.Requests{MaxBody: 4096, MaxURL: 4096}}, testlog.Logger())
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
			if !strings.HasPrefix(got, `{"uids":`) && !strings.HasPrefix(got, `{"clients":`) && !strings.HasPrefix(got, `[`) {
				t.Fatalf("%s ?%s (%s) %q: answer %q", method, query, ctype, body, got)
			}
		}
	})
}

// FuzzBatch feeds arbitrary bodies to the batch parser: it never panics,
// refuses what is not an array of at most the limit, and each item it
// takes is a request that could be sent (a valid event and JSON value, a
// kick that names a page).
func FuzzBatch(f *testing.F) {
	f.Add(`[{"to":"a","content":"x"},{"group":"g","event":"e","json":{"k":[1,2]}},{"client":["c1"]}]`)
	f.Add(`[{"type":"kick","uid":"a","event":"logout"},7,null,"x",[1],{"to":[["a"]]}]`)
	f.Add(`[{"event":"connect"},{"json":1,"content":"x"},{"type":"count"},{}]`)
	f.Add(`[{"to":"\xff","content":"\xc3","json":"\xed\xa0\x80"}]`)
	f.Add(`[` + strings.Repeat(`{},`, 10) + `{}]`)
	f.Fuzz(func(t *testing.T, body string) {
		items, err := parseBatch([]byte(body), 10, settings.Hold{})
		if err != nil {
			if items != nil {
				t.Fatalf("%q: error %v with %d items", body, err, len(items))
			}
			return
		}
		if len(items) > 10 {
			t.Fatalf("%q: %d items over the limit", body, len(items))
		}
		for i, it := range items {
			if it.err != nil {
				if it.err.why == "" {
					t.Fatalf("%q: item %d refused without a reason", body, i)
				}
				continue
			}
			r := it.req
			if r.Kick && r.Targets.Broadcast() {
				t.Fatalf("%q: item %d kicks everyone", body, i)
			}
			if m := r.Message; m != nil {
				if m.Event != "" && push.CheckEvent(m.Event) != nil && !(r.Kick && m.Event == eventKickOnly) {
					t.Fatalf("%q: item %d has event %q", body, i, m.Event)
				}
				if m.JSON != nil && !json.Valid(m.JSON) {
					t.Fatalf("%q: item %d has JSON %q", body, i, m.JSON)
				}
			} else if !r.Kick {
				t.Fatalf("%q: item %d publishes no message", body, i)
			}
		}
	})
}

// FuzzJSONScalar checks jsonScalar's short cut for strings without escapes
// against encoding/json: any JSON value, a JSON string, escaped or not, valid UTF-8 or not,
// casts to what decoding it gives (and no value makes it panic).
func FuzzJSONScalar(f *testing.F) {
	for _, s := range []string{`"plain"`, `"a\"b"`, `"\u00e9\n"`, "\"\xff\xfe\"", `"\ud800"`, `12`, `-1.5e3`, `1e400`, `true`, `null`, `[1]`, `{}`, `""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !json.Valid([]byte(text)) {
			return
		}
		raw := json.RawMessage(strings.TrimSpace(text))
		got, ok := jsonScalar(raw)
		if raw[0] != '"' {
			return
		}
		var want string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("%q: a valid JSON string does not decode: %v", text, err)
		}
		if !ok || got != want {
			t.Fatalf("jsonScalar(%q) = %q %v, want %q", text, got, ok, want)
		}
	})
}
