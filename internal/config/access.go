package config

import (
	"fmt"
	"net/netip"
	"strings"
)

const allowRule = "want a CIDR like 10.0.0.0/8 or an address like 192.0.2.7"

// AllowPrefixes parses api.allow: each entry is a CIDR (10.0.0.0/8,
// fd00::/8) or a single address (192.0.2.7, ::1).
func (a API) AllowPrefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(a.Allow))
	for _, s := range a.Allow {
		p, ok := parsePrefix(s)
		if !ok {
			return nil, fmt.Errorf("config: api.allow %q: %s", s, allowRule)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	addr = addr.Unmap()
	return netip.PrefixFrom(addr, addr.BitLen()), true
}

// validateAccess checks the api.secret, api.signature, api.allow and
// api.rate_* keys. The secret itself never appears in an error.
func (a API) validateAccess(bad func(key string, value any, rule string)) {
	if a.Secret != "" && len(a.Secret) < MinSecretLength {
		bad("api.secret", fmt.Sprintf("<%d bytes>", len(a.Secret)),
			fmt.Sprintf("must be at least %d bytes, e.g. from openssl rand -hex 32", MinSecretLength))
	}
	if a.Signature && a.Secret == "" {
		bad("api.signature", a.Signature, "needs api.secret, the key requests are signed with")
	}
	for _, s := range a.Allow {
		if _, ok := parsePrefix(s); !ok {
			bad("api.allow", s, allowRule)
		}
	}
	if a.RateLimit < 0 {
		bad("api.rate_limit", a.RateLimit, "must be 0 (no limit) or requests per second")
	}
	if a.RateBurst < 0 {
		bad("api.rate_burst", a.RateBurst, "must be 0 (same as api.rate_limit) or a number of requests")
	}
}
