package pushapi

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"
)

const testSecret = "0123456789abcdef-test-secret"

func multipartBody(t *testing.T, url string, fields map[string]string) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return postBody(t, url, w.FormDataContentType(), buf.String())
}

func withHeader(req *http.Request, name, value string) *http.Request {
	req.Header.Set(name, value)
	return req
}

func TestSecret(t *testing.T) {
	t.Parallel()
	const q = "/?type=publish&to=on1&content=hi"
	tests := []struct {
		name   string
		secret string
		req    func(t *testing.T, base string) *http.Request
		want   int // 200: published ok; 401: refused, nothing published
	}{
		{"no secret configured: open", "", func(t *testing.T, b string) *http.Request { return get(t, b+q) }, 200},
		{"no secret configured: secret param ignored", "", func(t *testing.T, b string) *http.Request { return get(t, b+q+"&secret=x") }, 200},
		{"bearer", testSecret, func(t *testing.T, b string) *http.Request {
			return withHeader(get(t, b+q), "Authorization", "Bearer "+testSecret)
		}, 200},
		{"bearer scheme in lower case", testSecret, func(t *testing.T, b string) *http.Request {
			return withHeader(get(t, b+q), "Authorization", "bearer "+testSecret)
		}, 200},
		{"query param", testSecret, func(t *testing.T, b string) *http.Request {
			return get(t, b+q+"&secret="+url.QueryEscape(testSecret))
		}, 200},
		{"urlencoded body param", testSecret, func(t *testing.T, b string) *http.Request {
			return postForm(t, b+"/", url.Values{"type": {"publish"}, "to": {"on1"}, "content": {"hi"}, "secret": {testSecret}})
		}, 200},
		{"multipart body param", testSecret, func(t *testing.T, b string) *http.Request {
			return multipartBody(t, b+"/", map[string]string{"type": "publish", "to": "on1", "content": "hi", "secret": testSecret})
		}, 200},
		{"JSON body param", testSecret, func(t *testing.T, b string) *http.Request {
			return postBody(t, b+"/", "application/json", `{"type":"publish","to":"on1","content":"hi","secret":"`+testSecret+`"}`)
		}, 200},
		{"missing", testSecret, func(t *testing.T, b string) *http.Request { return get(t, b+q) }, 401},
		{"wrong bearer", testSecret, func(t *testing.T, b string) *http.Request {
			return withHeader(get(t, b+q), "Authorization", "Bearer "+testSecret+"x")
		}, 401},
		{"bearer prefix of the secret", testSecret, func(t *testing.T, b string) *http.Request {
			return withHeader(get(t, b+q), "Authorization", "Bearer "+testSecret[:10])
		}, 401},
		{"wrong param", testSecret, func(t *testing.T, b string) *http.Request { return get(t, b+q+"&secret=nope") }, 401},
		{"empty param", testSecret, func(t *testing.T, b string) *http.Request { return get(t, b+q+"&secret=") }, 401},
		{"param as array", testSecret, func(t *testing.T, b string) *http.Request {
			return get(t, b+q+"&secret[]="+url.QueryEscape(testSecret))
		}, 401},
		{"wrong bearer beats right param", testSecret, func(t *testing.T, b string) *http.Request {
			return withHeader(get(t, b+q+"&secret="+url.QueryEscape(testSecret)), "Authorization", "Bearer nope")
		}, 401},
		{"basic auth is not a bearer", testSecret, func(t *testing.T, b string) *http.Request {
			return withHeader(get(t, b+q), "Authorization", "Basic "+testSecret)
		}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, base := startAPI(t, Options{Access: Access{Secret: tt.secret}})
			got := do(t, http.DefaultClient, tt.req(t, base))
			sent := rec.published()
			switch tt.want {
			case 200:
				if got.status != 200 || got.body != answerOK || len(sent) != 1 || sent[0].content != "hi" {
					t.Fatalf("got %d %q, published %v; want 200 ok and one publish of hi", got.status, got.body, sent)
				}
			case 401:
				assertRefused(t, got, http.StatusUnauthorized)
				if len(sent) != 0 {
					t.Fatalf("published %v despite refusal", sent)
				}
			}
		})
	}
}

// assertRefused checks a refusal: status, the body fail, the original's
// content type.
func assertRefused(t *testing.T, got answer, status int) {
	t.Helper()
	if got.status != status || got.body != answerFail || got.contentType != contentType {
		t.Fatalf("got %d %q (%s), want %d %q (%s)", got.status, got.body, got.contentType, status, answerFail, contentType)
	}
}

// The secret is checked by comparing SHA-256 digests with hmac.Equal
// (constant time): a secret of another length or sharing a long prefix is
// refused exactly as a wholly different one.
func TestSecretMatches(t *testing.T) {
	t.Parallel()
	a := newAuthenticator(Access{Secret: testSecret}, nil)
	for _, tt := range []struct {
		given string
		want  bool
	}{
		{testSecret, true},
		{testSecret + "x", false},
		{testSecret[:len(testSecret)-1], false},
		{"", false},
		{"0123456789abcdef-test-secreT", false},
	} {
		if got := a.secretMatches(tt.given); got != tt.want {
			t.Errorf("secretMatches(%q) = %v, want %v", tt.given, got, tt.want)
		}
	}
}
