package server

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestNewLoginToken: the tokens made are the ones login accepts, for
// their uid only and until they expire, with their groups claim.
func TestNewLoginToken(t *testing.T) {
	var a loginAuth
	a.set(testSecret)
	now := time.Now()
	tok, err := NewLoginToken(testSecret, "alice", []string{"a", "b"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.refusal("alice", tok); got != nil {
		t.Errorf("check(alice, token) = %v, want it accepted", got)
	}
	if got := a.refusal("bob", tok); got != ErrTokenOtherUID {
		t.Errorf("check(bob, alice's token) = %v, want %v", got, ErrTokenOtherUID)
	}
	var other loginAuth
	other.set("another-secret-0123456")
	if got := other.refusal("alice", tok); got != ErrTokenBad {
		t.Errorf("check with another secret = %v, want %v", got, ErrTokenBad)
	}
	old, err := NewLoginToken(testSecret, "alice", nil, time.Minute, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := a.refusal("alice", old); got != ErrTokenExpired {
		t.Errorf("check(expired token) = %v, want %v", got, ErrTokenExpired)
	}

	claims := decodeClaims(t, tok)
	if got := claims["groups"]; !slices.Equal(toStrings(got), []string{"a", "b"}) {
		t.Errorf("groups claim = %v, want [a b]", got)
	}
	if claims["exp"] != float64(now.Add(time.Hour).Unix()) || claims["iat"] != float64(now.Unix()) {
		t.Errorf("exp, iat = %v, %v, want now+1h, now", claims["exp"], claims["iat"])
	}
	if _, ok := decodeClaims(t, old)["groups"]; ok {
		t.Error("a token without groups has a groups claim")
	}
}

func TestNewLoginTokenRefuses(t *testing.T) {
	tests := []struct {
		name, secret, uid string
		groups            []string
		ttl               time.Duration
		want              string
	}{
		{"no secret", "", "alice", nil, time.Hour, "no secret"},
		{"no uid", testSecret, "", nil, time.Hour, "empty uid"},
		{"uid too long", testSecret, strings.Repeat("u", maxUIDBytes+1), nil, time.Hour, "uid of 1025 bytes"},
		{"zero ttl", testSecret, "alice", nil, 0, "ttl 0s: must be positive"},
		{"negative ttl", testSecret, "alice", nil, -time.Minute, "must be positive"},
		{"empty group", testSecret, "alice", []string{"a", ""}, time.Hour, "empty group name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := NewLoginToken(tt.secret, tt.uid, tt.groups, tt.ttl, time.Now())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewLoginToken = %q, %v, want an error containing %q", tok, err, tt.want)
			}
		})
	}
}

func decodeClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// refusal is check's refusal alone, under the default limits.
func (a *loginAuth) refusal(uid, token string) *LoginError {
	_, err := a.check(uid, token, DefaultMaxGroupsPerUID)
	return err
}

func TestTokenGroups(t *testing.T) {
	var a loginAuth
	a.set(testSecret)
	now := time.Now()
	tests := []struct {
		name   string
		groups []string
		max    int
		want   []string
		err    *LoginError
	}{
		{"none", nil, 2, nil, nil},
		{"sorted, once each", []string{"b", "a", "b"}, 2, []string{"a", "b"}, nil},
		{"more than the limit", []string{"a", "b", "c"}, 2, nil, ErrTokenBad},
		{"a group room's name", []string{"\x1dg"}, 2, nil, ErrTokenBad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := LoginClaims{Groups: tt.groups}
			claims.Subject = "alice"
			claims.ExpiresAt = jwt.NewNumericDate(now.Add(time.Minute))
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testSecret))
			if err != nil {
				t.Fatal(err)
			}
			got, refused := a.check("alice", tok, tt.max)
			if refused != tt.err || !slices.Equal(got, tt.want) {
				t.Errorf("check = %q, %v; want %q, %v", got, refused, tt.want, tt.err)
			}
		})
	}
	bad, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice", "groups": "not a list"}).SignedString([]byte(testSecret))
	if _, refused := a.check("alice", bad, 2); refused != ErrTokenBad {
		t.Errorf("a groups claim that is a string: %v, want bad token", refused)
	}
	if got, refused := a.check("alice", hmacToken(testSecret, "alice"), 2); refused != nil || got != nil {
		t.Errorf("an HMAC token: %q, %v; want no groups", got, refused)
	}
}
