package pushapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	errNoSignature  = errors.New("no auth_signature or auth_timestamp")
	errBadSignature = errors.New("signature does not match")
	errStale        = errors.New("auth_timestamp outside the signature window")
	errReplayed     = errors.New("signature already used")
)

// signer checks request signatures in the style of Pusher's HTTP API:
//
//	auth_signature = lowercase hex of HMAC-SHA256(secret, METHOD + "\n" + PATH + "\n" + PARAMS)
//
// METHOD is GET or POST, PATH the URL path ("/" when none). PARAMS is every
// query and body parameter but auth_signature, by name in byte order, each
// written name=value with both percent-encoded as PHP's rawurlencode does,
// joined with "&"; an array field is written name[]=value once per value,
// in order. auth_timestamp (Unix seconds) must be within the window of the
// server's clock, and each signature is accepted once.
type signer struct {
	key    []byte
	window time.Duration
	seen   *replayCache
}

// verify checks p's signature for r at time now.
func (s *signer) verify(r *http.Request, p params, now time.Time) error {
	sigHex, _, ok1 := p.scalar(paramSignature)
	ts, _, ok2 := p.scalar(paramTimestamp)
	if !ok1 || !ok2 || sigHex == "" || ts == "" {
		return errNoSignature
	}
	got, err := hex.DecodeString(sigHex)
	if err != nil || len(got) != sha256.Size {
		return errBadSignature
	}
	mac := hmac.New(sha256.New, s.key)
	_, _ = mac.Write([]byte(signedString(r.Method, r.URL.Path, p)))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errBadSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errStale
	}
	signed := time.Unix(sec, 0)
	if d := now.Sub(signed); d > s.window || d < -s.window {
		return errStale
	}
	if !s.seen.add([sha256.Size]byte(got), signed.Add(s.window), now) {
		return errReplayed
	}
	return nil
}

// signedString is what a request of method to path with p is signed as:
// METHOD, PATH ("/" when empty) and PARAMS, each on a line (see signer).
func signedString(method, path string, p params) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	b.WriteByte('\n')
	writeParams(&b, p)
	return b.String()
}

// writeParams writes p but auth_signature as signer signs them: sorted,
// encoded, arrays as name[]=value once per value, joined with "&".
func writeParams(b *strings.Builder, p params) {
	names := make([]string, 0, len(p))
	for name := range p {
		if name != paramSignature {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	first := true
	for _, name := range names {
		f := p[name]
		key := name
		if f.isArray {
			key += "[]"
		}
		for _, v := range f.values {
			if !first {
				b.WriteByte('&')
			}
			first = false
			rawURLEncode(b, key)
			b.WriteByte('=')
			rawURLEncode(b, v)
		}
	}
}

// rawURLEncode writes s percent-encoded as PHP's rawurlencode (RFC 3986):
// every byte but A-Z a-z 0-9 - . _ ~ becomes %XX, upper-case hex.
func rawURLEncode(b *strings.Builder, s string) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
}
