package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Validate checks every key and returns all problems at once; each names
// the key, the value and the rule it breaks.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, value any, rule string) {
		errs = append(errs, keyError(key, value, rule))
	}
	checkAddr := func(key, addr string) {
		if _, port, err := net.SplitHostPort(addr); err != nil {
			bad(key, addr, "want host:port, e.g. :2120 or 127.0.0.1:2120")
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			bad(key, addr, "want a port from 0 to 65535, e.g. :2120")
		}
	}

	checkAddr("io.addr", c.IO.Addr)
	checkAddr("api.addr", c.API.Addr)
	if c.IO.Addr == c.API.Addr && !strings.HasSuffix(c.IO.Addr, ":0") {
		bad("api.addr", c.API.Addr, "must differ from io.addr")
	}
	if !strings.HasPrefix(c.IO.Path, "/") || c.IO.Path == "/" {
		bad("io.path", c.IO.Path, "must start with / and not be / itself (the demo page is there)")
	}
	ioPathOK := strings.HasPrefix(c.IO.Path, "/") && c.IO.Path != "/"
	checkWirePath := func(key, p string) {
		switch {
		case p == "":
		case !strings.HasPrefix(p, "/") || p == "/" || strings.HasSuffix(p, "/"):
			bad(key, p, "must start with /, not end with / and not be / itself (empty turns it off)")
		case ioPathOK && strings.HasPrefix(p+"/", strings.TrimRight(c.IO.Path, "/")+"/"):
			bad(key, p, "must be outside io.path ("+c.IO.Path+")")
		case p == "/healthz" || p == "/readyz" || p == "/demo.json":
			bad(key, p, "is taken by pushio")
		}
	}
	checkWirePath("io.ws_path", c.IO.WSPath)
	checkWirePath("io.sse_path", c.IO.SSEPath)
	if c.IO.WSPath != "" && c.IO.WSPath == c.IO.SSEPath {
		bad("io.sse_path", c.IO.SSEPath, "must differ from io.ws_path")
	}
	for _, origin := range c.IO.CORSOrigins {
		if origin == "*" {
			continue
		}
		if u, err := url.Parse(origin); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			bad("io.cors_origins", origin, `want "*" or an origin like https://example.com`)
		}
	}
	if c.IO.MaxPayload < 1024 {
		bad("io.max_payload", c.IO.MaxPayload, "must be at least 1024 bytes")
	}
	if c.API.MaxBody < 1024 {
		bad("api.max_body", c.API.MaxBody, "must be at least 1024 bytes")
	}
	if c.API.MaxURL < 256 {
		bad("api.max_url", c.API.MaxURL, "must be at least 256 bytes")
	}
	if c.Groups.MaxPerUID < 1 {
		bad("groups.max_per_uid", c.Groups.MaxPerUID, "must be at least 1")
	}
	if c.API.MaxBatch < 1 {
		bad("api.max_batch", c.API.MaxBatch, "must be at least 1")
	}
	c.API.validateAccess(bad)
	if c.Redis.URL != "" {
		if u, err := url.Parse(c.Redis.URL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			bad("redis.url", c.Redis.URL, "want redis://host:port[/db], rediss://… or unix://path, or empty for a single node")
		}
	}
	if c.Redis.Prefix == "" {
		bad("redis.prefix", c.Redis.Prefix, "must not be empty")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", c.Log.Level, "want debug, info, warn or error")
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", c.Log.Format, "want text or json")
	}
	errs = append(errs, c.validateDurations()...)
	errs = append(errs, c.validateLimits()...)
	errs = append(errs, validateTLS("io", c.IO.TLSCert, c.IO.TLSKey)...)
	errs = append(errs, validateTLS("api", c.API.TLSCert, c.API.TLSKey)...)
	if c.IO.DrainWindow >= c.ShutdownTimeout && c.ShutdownTimeout > 0 {
		bad("io.drain_window", c.IO.DrainWindow, fmt.Sprintf("must be shorter than shutdown_timeout (%s)", c.ShutdownTimeout))
	}
	if c.Auth.Secret != "" && len(c.Auth.Secret) < MinSecretLength {
		bad("auth.secret", fmt.Sprintf("<%d bytes>", len(c.Auth.Secret)),
			fmt.Sprintf("must be at least %d bytes (or empty: logins unsigned), e.g. from openssl rand -hex 32", MinSecretLength))
	}
	if c.Auth.Required && c.Auth.Secret == "" {
		bad("auth.required", c.Auth.Required, "needs auth.secret (set PUSHIO_AUTH_SECRET), or auth.required: false to allow unsigned logins")
	}
	return errors.Join(errs...)
}

// keyError names the key, the value and the rule broken.
func keyError(key string, value any, rule string) error {
	return fmt.Errorf("config: %s %q: %s", key, fmt.Sprint(value), rule)
}

// validateLimits checks the connection and queue limits of io.
func (c *Config) validateLimits() []error {
	var errs []error
	if c.IO.MaxConnections < 0 {
		errs = append(errs, keyError("io.max_connections", c.IO.MaxConnections, "must be 0 (no limit) or more"))
	}
	if c.IO.MaxConnectionsPerIP < 0 {
		errs = append(errs, keyError("io.max_connections_per_ip", c.IO.MaxConnectionsPerIP, "must be 0 (no limit) or more"))
	}
	if c.IO.ConnectionRatePerIP < 0 {
		errs = append(errs, keyError("io.connection_rate_per_ip", c.IO.ConnectionRatePerIP, "must be 0 (no limit) or a positive rate per second"))
	}
	if c.IO.ConnectionBurstPerIP < 1 {
		errs = append(errs, keyError("io.connection_burst_per_ip", c.IO.ConnectionBurstPerIP, "must be at least 1"))
	}
	for _, p := range c.IO.TrustedProxies {
		if _, ok := parsePrefix(p); !ok {
			errs = append(errs, keyError("io.trusted_proxies", p, allowRule))
		}
	}
	if c.IO.MaxQueue < 1 {
		errs = append(errs, keyError("io.max_queue", c.IO.MaxQueue, "must be at least 1 message"))
	}
	if c.IO.MaxQueueBytes < 1024 {
		errs = append(errs, keyError("io.max_queue_bytes", c.IO.MaxQueueBytes, "must be at least 1024 bytes"))
	}
	return errs
}

// validateTLS wants both files of a listener or neither, and a pair that
// loads.
func validateTLS(listener, cert, key string) []error {
	switch {
	case cert == "" && key == "":
		return nil
	case cert == "":
		return []error{keyError(listener+".tls_cert", cert, "must be set with "+listener+".tls_key")}
	case key == "":
		return []error{keyError(listener+".tls_key", key, "must be set with "+listener+".tls_cert")}
	}
	if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
		return []error{keyError(listener+".tls_cert", cert, fmt.Sprintf("cannot load it with %s: %v", key, err))}
	}
	return nil
}
