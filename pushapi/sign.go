package pushapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignQuery is the client side of signed requests (api.signature): it
// reads query as the API reads a query string or urlencoded body
// (type=publish&to=U&content=x, to[]=a&to[]=b) and returns its fields,
// with auth_timestamp (now) and auth_nonce added, encoded as they are
// signed, followed by auth_signature keyed with secret for a request of
// method (GET or POST) to path. Sent as the query of a GET, or as the
// urlencoded body of a POST, the result is accepted once within the
// signature window.
func SignQuery(secret, method, path, query, nonce string, now time.Time) (string, error) {
	method = strings.ToUpper(method)
	switch {
	case secret == "":
		return "", errors.New("signing: no secret")
	case method != http.MethodGet && method != http.MethodPost:
		return "", fmt.Errorf("signing: method %q: want GET or POST", method)
	case !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#"):
		return "", fmt.Errorf("signing: path %q: want the URL's path, e.g. /, without a query", path)
	case nonce == "":
		return "", errors.New("signing: empty nonce")
	}
	p := params{}
	parseURLEncoded(query, p)
	if len(p) == 0 {
		return "", fmt.Errorf("signing: query %q has no field, want e.g. type=publish&to=U&content=x", query)
	}
	for _, name := range []string{paramSignature, paramTimestamp, paramNonce, paramSecret} {
		if p[name] != nil {
			return "", fmt.Errorf("signing: the query has %s: signing adds the auth_ fields, and a signed request carries no secret", name)
		}
	}
	p.add(paramTimestamp, strconv.FormatInt(now.Unix(), 10))
	p.add(paramNonce, nonce)
	mac := hmac.New(sha256.New, []byte(secret))
	_, _ = mac.Write([]byte(signedString(method, path, p)))
	var b strings.Builder
	writeParams(&b, p)
	b.WriteString("&" + paramSignature + "=" + hex.EncodeToString(mac.Sum(nil)))
	return b.String(), nil
}
