package pushapi

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func scalarParam(v string) *param    { return &param{values: []string{v}} }
func arrayParam(vs ...string) *param { return &param{values: vs, isArray: true} }
func postRequest(query, ctype, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/?"+query, strings.NewReader(body))
	r.Header.Set("Content-Type", ctype)
	return r
}

func TestReadParams(t *testing.T) {
	t.Parallel()
	const urlencoded = "application/x-www-form-urlencoded"
	tests := []struct {
		name string
		req  *http.Request
		want params
	}{
		{"empty", httptest.NewRequest(http.MethodGet, "/", nil), params{}},
		{"plain", httptest.NewRequest(http.MethodGet, "/?type=publish&to=a", nil),
			params{"type": scalarParam("publish"), "to": scalarParam("a")}},
		{"name without value", httptest.NewRequest(http.MethodGet, "/?to&content=", nil),
			params{"to": scalarParam(""), "content": scalarParam("")}},
		{"empty names and pairs skipped", httptest.NewRequest(http.MethodGet, "/?&&=x&to=a&", nil),
			params{"to": scalarParam("a")}},
		{"last scalar wins", httptest.NewRequest(http.MethodGet, "/?to=a&to=b", nil),
			params{"to": scalarParam("b")}},
		{"array", httptest.NewRequest(http.MethodGet, "/?to[]=a&to[x]=b&to[0]=c", nil),
			params{"to": arrayParam("a", "b", "c")}},
		{"array after scalar replaces it", httptest.NewRequest(http.MethodGet, "/?to=a&to[]=b", nil),
			params{"to": arrayParam("b")}},
		{"escaped name", httptest.NewRequest(http.MethodGet, "/?%74o%5B%5D=a", nil),
			params{"to": arrayParam("a")}},
		{"unclosed bracket is a name", httptest.NewRequest(http.MethodGet, "/?to[=a&[]=b", nil),
			params{"to[": scalarParam("a"), "[]": scalarParam("b")}},
		{"value with = kept", httptest.NewRequest(http.MethodGet, "/?content=a=b", nil),
			params{"content": scalarParam("a=b")}},
		{"GET body ignored", httptest.NewRequest(http.MethodGet, "/?to=a", strings.NewReader("to=b")),
			params{"to": scalarParam("a")}},
		{"urlencoded merged over query", postRequest("to=a&type=publish", urlencoded, "to=b&content=c"),
			params{"type": scalarParam("publish"), "to": scalarParam("b"), "content": scalarParam("c")}},
		{"json merged over query", postRequest("to[]=a&type=x", "application/json", `{"to":"b","n":1e3,"f":false,"t":true,"z":null,"o":{"k":1}}`),
			params{"type": scalarParam("x"), "to": scalarParam("b"), "n": scalarParam("1000"), "f": scalarParam(""),
				"t": scalarParam("1"), "z": scalarParam(""), "o": arrayParam()}},
		{"json empty list names nobody", postRequest("", "application/json", `{"to":[]}`),
			params{"to": arrayParam()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, err := readParams(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if dump(got) != dump(tt.want) {
				t.Errorf("readParams = %s, want %s", dump(got), dump(tt.want))
			}
		})
	}
}

func TestReadParamsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *http.Request
	}{
		{"json syntax", postRequest("", "application/json", `{"to":`)},
		{"json not an object", postRequest("", "application/json", `"to"`)},
		{"json nested object in a list", postRequest("", "application/json", `{"to":[{"a":1}]}`)},
		{"json huge number", postRequest("", "application/json", `{"to":[1e999]}`)},
		{"json with trailing data", postRequest("", "application/json", `{"type":"publish"} {"to":"a"}`)},
		{"json with trailing garbage", postRequest("", "application/json", `{"type":"publish"} x`)},
		{"multipart without boundary", postRequest("", "multipart/form-data", "x")},
		{"multipart cut short", postRequest("", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if p, _, err := readParams(tt.req); !errors.Is(err, errBadBody) {
				t.Errorf("readParams = %s, %v; want an error wrapping errBadBody", dump(p), err)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		field   *param
		want    []string
		wantErr bool
	}{
		{"absent", nil, nil, false},
		{"empty scalar broadcasts", scalarParam(""), nil, false},
		{"zero is a uid", scalarParam("0"), []string{"0"}, false},
		{"comma list", scalarParam("a,b,a"), []string{"a", "b"}, false},
		{"only commas", scalarParam(",,"), nil, true},
		{"array", arrayParam("b", "", "a", "b"), []string{"b", "a"}, false},
		{"array of empties", arrayParam(""), nil, true},
		{"empty array", arrayParam(), nil, true},
		{"array item with comma is one uid", arrayParam("a,b"), []string{"a,b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := params{}
			if tt.field != nil {
				p["to"] = tt.field
			}
			got, err := list(p, "to")
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("targets = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	t.Parallel()
	// Each want is what PHP's urldecode returns.
	for in, want := range map[string]string{
		"":            "",
		"plain":       "plain",
		"a+b":         "a b",
		"%2B":         "+",
		"%e4%BD%a0":   "你",
		"100%":        "100%",
		"%2":          "%2",
		"%zz%20":      "%zz ",
		"%%41":        "%A",
		"%00":         "\x00",
		"%ff":         "\xff",
		"a%2x%20b%+c": "a%2x b% c",
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

// dump shows params readably, names sorted, to compare and in failures.
func dump(p params) string {
	var b strings.Builder
	b.WriteString("{")
	for _, name := range slices.Sorted(maps.Keys(p)) {
		f := p[name]
		b.WriteString(" " + name)
		if f.isArray {
			b.WriteString("[]")
		}
		fmt.Fprintf(&b, "=%q", f.values)
	}
	return b.String() + " }"
}
