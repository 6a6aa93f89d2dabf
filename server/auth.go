package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pushio/pushio/hub"
	"github.com/pushio/pushio/socketio"
)

// EventLoginError is emitted to a socket whose login was refused; its one
// argument is the reason, one of the ErrToken* texts.
const EventLoginError = "login_error"

// LoginError is a refused login: its text is sent to the page with
// login_error, its label counts it in login_refusals_total.
type LoginError struct{ text, label string }

func (e *LoginError) Error() string { return e.text }

// Reasons a signed login is refused.
var (
	ErrTokenRequired    = &LoginError{"token required", "token_required"}
	ErrTokenBad         = &LoginError{"bad token", "bad_token"}
	ErrTokenExpired     = &LoginError{"token expired", "token_expired"}
	ErrTokenNotYetValid = &LoginError{"token not valid yet", "token_not_yet_valid"}
	ErrTokenOtherUID    = &LoginError{"token is for another uid", "token_other_uid"}
)

// TokenLeeway is the clock skew allowed on a JWT's exp and nbf.
const TokenLeeway = 30 * time.Second

// loginAuth checks login tokens against a secret that SIGHUP may swap;
// an empty secret lets every login in, as the original does.
type loginAuth struct {
	secret atomic.Pointer[[]byte]
}

func (a *loginAuth) set(secret string) {
	b := []byte(secret)
	a.secret.Store(&b)
}

// check accepts token for uid when logins are unsigned, or when token is
// the lowercase hex HMAC-SHA256 of uid, or an HS256 JWT whose sub is uid,
// both keyed with the secret. A JWT's groups claim is returned: the
// groups the page joins (at most maxGroups valid names, or the token is
// bad); pages of unsigned logins join none.
func (a *loginAuth) check(uid, token string, maxGroups int) ([]string, *LoginError) {
	secret := *a.secret.Load()
	if len(secret) == 0 {
		return nil, nil
	}
	if token == "" {
		return nil, ErrTokenRequired
	}
	if strings.Count(token, ".") == 2 {
		return checkJWT(secret, uid, token, maxGroups)
	}
	return nil, checkHMAC(secret, uid, token)
}

// Authorize checks a login of uid with token as a page's login will,
// before the page exists: a wire whose login comes with its request
// (EventSource) refuses it there. The refusal is logged and counted as
// a login's; the error's text is the reason a login_error would carry.
func (s *Server) Authorize(uid, token string) error {
	if _, err := s.auth.check(uid, token, s.opts.Groups.MaxPerUID); err != nil {
		s.log.Debug("login refused", "uid", uid, "reason", err.text)
		s.opts.Metrics.LoginRefused(err.label)
		return err
	}
	return nil
}

// checkHMAC compares in constant time, whatever the token's length.
func checkHMAC(secret []byte, uid, token string) *LoginError {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(uid))
	want := hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(token)) {
		return ErrTokenBad
	}
	return nil
}

var jwtParser = jwt.NewParser(
	jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
	jwt.WithLeeway(TokenLeeway),
)

func checkJWT(secret []byte, uid, token string, maxGroups int) ([]string, *LoginError) {
	var claims LoginClaims
	_, err := jwtParser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return secret, nil })
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return nil, ErrTokenNotYetValid
	default:
		return nil, ErrTokenBad // a groups claim that is not a list of strings too
	}
	// The signature is verified: telling a wrong sub apart is safe.
	if claims.Subject != uid {
		return nil, ErrTokenOtherUID
	}
	groups := slices.Compact(slices.Sorted(slices.Values(claims.Groups)))
	if len(groups) > maxGroups {
		return nil, ErrTokenBad
	}
	for _, g := range groups {
		if hub.CheckName(g) != nil {
			return nil, ErrTokenBad
		}
	}
	return groups, nil
}

// loginToken is the second login argument when it is a non-empty string,
// else the handshake's auth.token (v3/v4 clients: io(url, {auth: {token}});
// Engine.IO 3 clients have no handshake auth on the default namespace).
func loginToken(sock *socketio.Socket, args []any) string {
	if len(args) > 1 {
		if t, ok := args[1].(string); ok && t != "" {
			return t
		}
	}
	t, _ := sock.Auth()["token"].(string)
	return t
}
