package pushapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSignQuery: what SignQuery prints is accepted by the API, as a GET
// query or a POST body, with every field the API reads as it was given.
func TestSignQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, query string
		wantTo                    []string
		wantContent               string
	}{
		{"GET", "GET", "/", "type=publish&to=on1&content=hi", []string{"on1"}, "hi"},
		{"lower-case POST", "post", "/", "type=publish&to=on1&content=hi", []string{"on1"}, "hi"},
		{"other path", "GET", "/push", "type=publish&to=on1&content=hi", []string{"on1"}, "hi"},
		{"array", "GET", "/", "type=publish&to[]=off1&to[1]=on1&content=x", []string{"off1", "on1"}, "x"},
		{"encoded and raw", "POST", "/", "type=publish&to=on1&content=a%26b=c d+%C3%A9<", []string{"on1"}, "a&amp;b=c d é&lt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, base := startAPI(t, Options{Access: Access{Secret: testSecret, Signature: true}})
			q, err := SignQuery(testSecret, tt.method, tt.path, tt.query, "n1", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			send := func() answer {
				if strings.EqualFold(tt.method, "GET") {
					return do(t, http.DefaultClient, get(t, base+tt.path+"?"+q))
				}
				return do(t, http.DefaultClient, postBody(t, base+tt.path, "application/x-www-form-urlencoded", q))
			}
			if got := send(); got.status != http.StatusOK || got.body != answerOK {
				t.Fatalf("%s %s: got %d %q, want 200 ok", tt.method, q, got.status, got.body)
			}
			sent := rec.published()
			if len(sent) != 1 || !slices.Equal(sent[0].to, tt.wantTo) || sent[0].content != tt.wantContent {
				t.Fatalf("published %+v, want to %v content %q", sent, tt.wantTo, tt.wantContent)
			}
			// The same query again is a replay.
			if got := send(); got.status != http.StatusUnauthorized {
				t.Errorf("replayed: got %d %q, want 401", got.status, got.body)
			}
		})
	}
}

func TestSignQueryRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, secret, method, path, query, want string
	}{
		{"no secret", "", "GET", "/", "type=count", "no secret"},
		{"method", testSecret, "PUT", "/", "type=count", `method "PUT": want GET or POST`},
		{"relative path", testSecret, "GET", "push", "type=count", `path "push"`},
		{"path with a query", testSecret, "GET", "/?a=b", "type=count", `path "/?a=b"`},
		{"empty query", testSecret, "GET", "/", "", "has no field"},
		{"only separators", testSecret, "GET", "/", "&&", "has no field"},
		{"signed already", testSecret, "GET", "/", "type=count&auth_signature=ab", "has auth_signature"},
		{"timestamp given", testSecret, "GET", "/", "type=count&auth_timestamp=1", "has auth_timestamp"},
		{"nonce given", testSecret, "GET", "/", "type=count&auth_nonce=1", "has auth_nonce"},
		{"secret given", testSecret, "GET", "/", "type=count&secret=x", "has secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := SignQuery(tt.secret, tt.method, tt.path, tt.query, "n1", time.Now())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SignQuery = %q, %v, want an error containing %q", q, err, tt.want)
			}
		})
	}
}
