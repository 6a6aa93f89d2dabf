package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pushio/pushio/internal/test/eiotest"
)

const testSecret = "test-secret-0123456789"

func hmacToken(secret, uid string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(uid))
	return hex.EncodeToString(m.Sum(nil))
}

func jwtToken(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoginAuthCheck(t *testing.T) {
	now := time.Now()
	hs256 := func(c jwt.MapClaims) string { return jwtToken(t, jwt.SigningMethodHS256, []byte(testSecret), c) }
	cases := []struct {
		name  string
		uid   string
		token string
		want  *LoginError // nil: accepted
	}{
		{"hmac", "alice", hmacToken(testSecret, "alice"), nil},
		{"hmac of a numeric uid", "123", hmacToken(testSecret, "123"), nil},
		{"no token", "alice", "", ErrTokenRequired},
		{"hmac of another uid", "alice", hmacToken(testSecret, "bob"), ErrTokenBad},
		{"hmac with another secret", "alice", hmacToken("another-secret-0123456", "alice"), ErrTokenBad},
		{"hmac in upper case", "alice", "A" + hmacToken(testSecret, "alice")[1:], ErrTokenBad},
		{"hmac cut short", "alice", hmacToken(testSecret, "alice")[:63], ErrTokenBad},
		{"garbage", "alice", "not a token", ErrTokenBad},
		{"jwt", "alice", hs256(jwt.MapClaims{"sub": "alice"}), nil},
		{"jwt with exp", "alice", hs256(jwt.MapClaims{"sub": "alice", "exp": now.Add(time.Hour).Unix()}), nil},
		{"jwt expired", "alice", hs256(jwt.MapClaims{"sub": "alice", "exp": now.Add(-time.Hour).Unix()}), ErrTokenExpired},
		{"jwt not yet valid", "alice", hs256(jwt.MapClaims{"sub": "alice", "nbf": now.Add(time.Hour).Unix()}), ErrTokenNotYetValid},
		{"jwt for another uid", "alice", hs256(jwt.MapClaims{"sub": "bob"}), ErrTokenOtherUID},
		{"jwt without sub", "alice", hs256(jwt.MapClaims{"exp": now.Add(time.Hour).Unix()}), ErrTokenOtherUID},
		{"jwt with another secret", "alice", jwtToken(t, jwt.SigningMethodHS256, []byte("another-secret-0123456"), jwt.MapClaims{"sub": "alice"}), ErrTokenBad},
		{"jwt HS512", "alice", jwtToken(t, jwt.SigningMethodHS512, []byte(testSecret), jwt.MapClaims{"sub": "alice"}), ErrTokenBad},
		{"jwt alg none", "alice", jwtToken(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "alice"}), ErrTokenBad},
		{"jwt with a numeric sub", "123", hs256(jwt.MapClaims{"sub": 123}), ErrTokenBad},
	}
	var a loginAuth
	a.set(testSecret)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.refusal(tc.uid, tc.token); got != tc.want {
				t.Fatalf("check(%q, %q) = %v, want %v", tc.uid, tc.token, got, tc.want)
			}
		})
	}
	t.Run("no secret lets everyone in", func(t *testing.T) {
		var open loginAuth
		open.set("")
		if got := open.refusal("alice", ""); got != nil {
			t.Fatal(got)
		}
	})
}

// TestSignedLogin drives login over a real socket: a valid token joins the
// uid's room, a refused one gets login_error with its reason and does not.
func TestSignedLogin(t *testing.T) {
	it := startIOTest(t, Options{AuthSecret: testSecret})
	expired := jwtToken(t, jwt.SigningMethodHS256, []byte(testSecret),
		jwt.MapClaims{"sub": "u4", "exp": time.Now().Add(-time.Hour).Unix()})
	cases := []struct {
		name   string
		uid    string
		auth   map[string]any // handshake auth
		args   []any          // login arguments after the uid
		refuse *LoginError    // nil: joins
	}{
		{"hmac as the second argument", "u1", nil, []any{hmacToken(testSecret, "u1")}, nil},
		{"jwt in the handshake auth", "u2", map[string]any{"token": jwtToken(t, jwt.SigningMethodHS256, []byte(testSecret), jwt.MapClaims{"sub": "u2"})}, nil, nil},
		{"no token", "u3", nil, nil, ErrTokenRequired},
		{"expired jwt", "u4", nil, []any{expired}, ErrTokenExpired},
		{"token of another uid", "u5", map[string]any{"token": hmacToken(testSecret, "someone")}, nil, ErrTokenBad},
		{"forged token", "u6", nil, []any{hmacToken("forged-secret-0123456", "u6")}, ErrTokenBad},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := it.mustDial(t, eiotest.Options{Auth: tc.auth})
			if err := c.Emit(EventLogin, append([]any{tc.uid}, tc.args...)...); err != nil {
				t.Fatal(err)
			}
			ctx := ctxFor(t, 10*time.Second)
			if tc.refuse == nil {
				if _, err := c.NextNamed(ctx, EventOnlineCount); err != nil {
					t.Fatal(err)
				}
				if !it.online(t, tc.uid) {
					t.Fatalf("%s not online after a valid login", tc.uid)
				}
				return
			}
			ev, err := c.NextNamed(ctx, EventLoginError)
			if err != nil {
				t.Fatal(err)
			}
			var reason string
			if len(ev.Args) != 1 || json.Unmarshal(ev.Args[0], &reason) != nil || reason != tc.refuse.text {
				t.Fatalf("login_error args %s, want [%q]", ev.Args, tc.refuse.text)
			}
			if it.online(t, tc.uid) {
				t.Fatalf("%s online after a refused login", tc.uid)
			}
			if n := it.count(t, "pushio_login_refusals_total", "reason", tc.refuse.label); n == 0 {
				t.Fatalf("refusal %q not counted", tc.refuse.label)
			}
		})
	}
	t.Run("a refused login can be retried; a second login is ignored", func(t *testing.T) {
		c := it.mustDial(t, eiotest.Options{})
		ctx := ctxFor(t, 10*time.Second)
		_ = c.Emit(EventLogin, "u7", "wrong")
		if _, err := c.NextNamed(ctx, EventLoginError); err != nil {
			t.Fatal(err)
		}
		_ = c.Emit(EventLogin, "u7", hmacToken(testSecret, "u7"))
		if _, err := c.NextNamed(ctx, EventOnlineCount); err != nil {
			t.Fatal(err)
		}
		_ = c.Emit(EventLogin, "u8", hmacToken(testSecret, "u8"))
		time.Sleep(100 * time.Millisecond) // an ignored login has no answer to wait for
		if it.online(t, "u8") || !it.online(t, "u7") {
			t.Fatal("a second login on one socket changed its uid")
		}
	})
	t.Run("SetAuthSecret applies to the next logins", func(t *testing.T) {
		it.SetAuthSecret("")
		defer it.SetAuthSecret(testSecret)
		c := it.mustDial(t, eiotest.Options{})
		_ = c.Emit(EventLogin, "u9")
		if _, err := c.NextNamed(ctxFor(t, 10*time.Second), EventOnlineCount); err != nil {
			t.Fatal(err)
		}
	})
}
