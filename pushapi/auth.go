package pushapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pushio/pushio/internal/metrics"
)

// Parameters that carry credentials. They are removed once checked, so no
// handler ever reads them as anything else.
const (
	paramSecret    = "secret"
	paramSignature = "auth_signature"
	paramTimestamp = "auth_timestamp"
	paramNonce     = "auth_nonce"
)

var (
	errNoCredentials = errors.New("no secret given")
	errWrongSecret   = errors.New("wrong secret")
)

// authenticator checks a request's credentials: the shared secret, or with
// signatures on, an HMAC of the request made with it.
type authenticator struct {
	// secretSum is the SHA-256 of the secret: comparing digests in
	// constant time also hides the secret's length.
	secretSum [sha256.Size]byte
	enabled   bool
	// signer is non-nil when requests must be signed instead.
	signer *signer
}

// newAuthenticator checks requests against acc; signed requests are
// remembered in seen, to be accepted once.
func newAuthenticator(acc Access, seen *replayCache) *authenticator {
	a := &authenticator{enabled: acc.Secret != ""}
	if !a.enabled {
		return a
	}
	a.secretSum = sha256.Sum256([]byte(acc.Secret))
	if acc.Signature {
		window := acc.SignatureWindow
		if window <= 0 {
			window = 5 * time.Minute
		}
		a.signer = &signer{key: []byte(acc.Secret), window: window, seen: seen}
	}
	return a
}

// check reports why r (with its params p) is not authorised, or nil. It
// removes the credential parameters from p either way.
func (a *authenticator) check(r *http.Request, p params) error {
	defer dropCredentials(p)
	switch {
	case !a.enabled:
		return nil
	case a.signer != nil:
		return a.signer.verify(r, p, time.Now())
	}
	given, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		var present bool
		given, present, ok = p.scalar(paramSecret)
		if !present {
			return errNoCredentials
		}
	}
	if !ok || !a.secretMatches(given) {
		return errWrongSecret
	}
	return nil
}

// secretMatches compares in constant time.
func (a *authenticator) secretMatches(given string) bool {
	sum := sha256.Sum256([]byte(given))
	return hmac.Equal(sum[:], a.secretSum[:])
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func dropCredentials(p params) {
	for _, name := range []string{paramSecret, paramSignature, paramTimestamp, paramNonce} {
		delete(p, name)
	}
}

// unauthorized answers 401 + fail for missing or wrong credentials.
func (a *api) unauthorized(c *gin.Context, err error) {
	a.refused(c, err.Error())
	c.Header("WWW-Authenticate", `Bearer realm="pushio"`)
	a.fail(c, http.StatusUnauthorized, metrics.ResultUnauthorized)
}
