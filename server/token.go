package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pushio/pushio/hub"
)

// LoginClaims are the claims of the login JWTs NewLoginToken makes and
// checkJWT reads: the registered ones (sub is the uid), and groups, the
// groups the page joins at login, for its life.
type LoginClaims struct {
	jwt.RegisteredClaims
	Groups []string `json:"groups,omitempty"`
}

// NewLoginToken returns an HS256 JWT keyed with secret (auth.secret) that
// logs uid in from now until now+ttl; groups, when given, are its groups
// claim. It is what a backend would make, for operators and tests.
func NewLoginToken(secret, uid string, groups []string, ttl time.Duration, now time.Time) (string, error) {
	switch {
	case secret == "":
		return "", errors.New("login token: no secret")
	case uid == "":
		return "", errors.New("login token: empty uid")
	case len(uid) > maxUIDBytes:
		return "", fmt.Errorf("login token: uid of %d bytes: logins with more than %d are ignored", len(uid), maxUIDBytes)
	case ttl <= 0:
		return "", fmt.Errorf("login token: ttl %s: must be positive", ttl)
	}
	for _, g := range groups {
		if g == "" {
			return "", errors.New("login token: empty group name")
		}
		if err := hub.CheckName(g); err != nil {
			return "", fmt.Errorf("login token: group name %q: %w", g, err)
		}
	}
	claims := LoginClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   uid,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Groups: groups,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("login token: signing: %w", err)
	}
	return s, nil
}
