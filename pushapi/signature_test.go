package pushapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// signed returns fields plus auth_timestamp and auth_signature, signed for
// method and path as the README's PHP function does. A field's value is a
// string or, for an array field, a []string.
func signed(method, path string, fields map[string]any, at time.Time) map[string]any {
	out := map[string]any{"auth_timestamp": strconv.FormatInt(at.Unix(), 10)}
	for k, v := range fields {
		out[k] = v
	}
	names := make([]string, 0, len(out))
	for k := range out {
		names = append(names, k)
	}
	sort.Strings(names)
	var pairs []string
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	for _, k := range names {
		switch v := out[k].(type) {
		case string:
			pairs = append(pairs, enc(k)+"="+enc(v))
		case []string:
			for _, x := range v {
				pairs = append(pairs, enc(k+"[]")+"="+enc(x))
			}
		}
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(method + "\n" + path + "\n" + strings.Join(pairs, "&")))
	out["auth_signature"] = hex.EncodeToString(mac.Sum(nil))
	return out
}

// form encodes fields as http_build_query does (arrays as name[]=v).
func form(fields map[string]any) url.Values {
	v := url.Values{}
	for k, x := range fields {
		switch x := x.(type) {
		case string:
			v.Set(k, x)
		case []string:
			v[k+"[]"] = x
		}
	}
	return v
}

func TestSignature(t *testing.T) {
	t.Parallel()
	now := time.Now()
	publish := map[string]any{"type": "publish", "to": "on1", "content": "a&b=c d+é<"}
	tests := []struct {
		name string
		// reqs are sent in order; all but the last must be answered ok.
		reqs func(t *testing.T, base string) []*http.Request
		ok   bool // whether the last is answered ok (else 401 fail)
	}{
		{"GET query", func(t *testing.T, b string) []*http.Request {
			return []*http.Request{get(t, b+"/?"+form(signed("GET", "/", publish, now)).Encode())}
		}, true},
		{"POST form with an array", func(t *testing.T, b string) []*http.Request {
			f := map[string]any{"type": "publish", "to": []string{"off1", "on1"}, "content": "x"}
			return []*http.Request{postForm(t, b+"/", form(signed("POST", "/", f, now)))}
		}, true},
		{"POST JSON", func(t *testing.T, b string) []*http.Request {
			body, _ := json.Marshal(signed("POST", "/push", publish, now))
			return []*http.Request{postBody(t, b+"/push", "application/json", string(body))}
		}, true},
		{"two publishes alike but for a nonce", func(t *testing.T, b string) []*http.Request {
			one, two := copyWith(publish, "auth_nonce", "1"), copyWith(publish, "auth_nonce", "2")
			return []*http.Request{
				get(t, b+"/?"+form(signed("GET", "/", one, now)).Encode()),
				get(t, b+"/?"+form(signed("GET", "/", two, now)).Encode()),
			}
		}, true},
		{"replayed", func(t *testing.T, b string) []*http.Request {
			u := b + "/?" + form(signed("GET", "/", publish, now)).Encode()
			return []*http.Request{get(t, u), get(t, u)}
		}, false},
		{"content tampered", func(t *testing.T, b string) []*http.Request {
			f := form(signed("GET", "/", publish, now))
			f.Set("content", "evil")
			return []*http.Request{get(t, b+"/?"+f.Encode())}
		}, false},
		{"field added", func(t *testing.T, b string) []*http.Request {
			return []*http.Request{get(t, b+"/?"+form(signed("GET", "/", publish, now)).Encode()+"&to2=x")}
		}, false},
		{"other path", func(t *testing.T, b string) []*http.Request {
			return []*http.Request{get(t, b+"/other?"+form(signed("GET", "/", publish, now)).Encode())}
		}, false},
		{"other method", func(t *testing.T, b string) []*http.Request {
			return []*http.Request{postForm(t, b+"/", form(signed("GET", "/", publish, now)))}
		}, false},
		{"expired", func(t *testing.T, b string) []*http.Request {
			return []*http.Request{get(t, b+"/?"+form(signed("GET", "/", publish, now.Add(-6*time.Minute))).Encode())}
		}, false},
		{"from the future", func(t *testing.T, b string) []*http.Request {
			return []*http.Request{get(t, b+"/?"+form(signed("GET", "/", publish, now.Add(6*time.Minute))).Encode())}
		}, false},
		{"unsigned", func(t *testing.T, b string) []*http.Request {
			return []*http.Request{get(t, b+"/?"+form(publish).Encode())}
		}, false},
		{"plain secret instead of a signature", func(t *testing.T, b string) []*http.Request {
			return []*http.Request{withHeader(get(t, b+"/?"+form(publish).Encode()), "Authorization", "Bearer "+testSecret)}
		}, false},
		{"signature not hex", func(t *testing.T, b string) []*http.Request {
			f := form(signed("GET", "/", publish, now))
			f.Set("auth_signature", "zz")
			return []*http.Request{get(t, b+"/?"+f.Encode())}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, base := startAPI(t, Options{Access: Access{Secret: testSecret, Signature: true, SignatureWindow: 5 * time.Minute}})
			reqs := tt.reqs(t, base)
			for i, req := range reqs {
				got := do(t, http.DefaultClient, req)
				if i < len(reqs)-1 || tt.ok {
					if got.status != 200 || got.body != answerOK {
						t.Fatalf("request %d: got %d %q, want 200 ok", i+1, got.status, got.body)
					}
					continue
				}
				assertRefused(t, got, http.StatusUnauthorized)
			}
			want := len(reqs)
			if !tt.ok {
				want--
			}
			if sent := rec.published(); len(sent) != want {
				t.Fatalf("published %d times (%v), want %d", len(sent), sent, want)
			}
		})
	}
}

func copyWith(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// The replay cache stays within its bound and forgets the oldest first.
func TestReplayCacheBound(t *testing.T) {
	t.Parallel()
	c := newReplayCache(3)
	now := time.Now()
	until := now.Add(time.Minute)
	sig := func(b byte) [32]byte { return [32]byte{b} }
	for b := byte(1); b <= 4; b++ {
		if !c.add(sig(b), until, now) {
			t.Fatalf("signature %d refused on first use", b)
		}
	}
	if len(c.until) > 3 {
		t.Fatalf("cache holds %d, bound is 3", len(c.until))
	}
	if c.add(sig(4), until, now) {
		t.Error("newest signature accepted twice")
	}
	if !c.add(sig(1), until, now) {
		t.Error("oldest signature still remembered past the bound")
	}
	// Past their time, entries are dropped and space is free again.
	later := until.Add(time.Second)
	if !c.add(sig(4), later.Add(time.Minute), later) || len(c.until) != 1 {
		t.Errorf("expired entries kept: %d", len(c.until))
	}
}
