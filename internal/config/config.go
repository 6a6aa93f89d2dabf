// Package config holds pushio's one configuration struct, its defaults, the
// loading of config.yaml, PUSHIO_* environment variables and command-line
// flags (flag > env > file > default), and the validation of the result.
//
// The settings a part of pushio takes (package server, plain, pushapi) are
// declared once, in package settings, and the sections here embed those
// structs (mapstructure ",squash", so their keys stay io.ping_interval and
// so on): the part is handed the section's struct whole.
package config

import (
	"net/netip"
	"time"

	"github.com/pushio/pushio/internal/settings"
)

// Defaults, named so that code, docs and tests share one value.
const (
	DefaultIOAddr         = ":2120"
	DefaultIOPath         = "/socket.io"
	DefaultPingInterval   = 25 * time.Second
	DefaultPingTimeout    = 20 * time.Second
	DefaultMaxPayload     = 1 << 20 // bytes of one Socket.IO message from a client
	DefaultAPIAddr        = ":2121"
	DefaultMaxBody        = 10 << 20 // bytes, as the original (Workerman)
	DefaultMaxURL         = 64 << 10 // bytes of request line, as the original (~60 KB)
	DefaultMaxBatch       = 1000     // items of one batch request
	DefaultHeaderTimeout  = 10 * time.Second
	DefaultReadTimeout    = 60 * time.Second
	DefaultIdleTimeout    = 120 * time.Second
	DefaultWriteTimeout   = 60 * time.Second
	DefaultRedisPrefix    = "socket.io"
	DefaultPresenceTTL    = 15 * time.Second
	DefaultRedisTimeout   = 2 * time.Second
	DefaultCountsInterval = time.Second
	DefaultShutdown       = 10 * time.Second
	DefaultDrainWindow    = 5 * time.Second
	DefaultWSPath         = "/ws"
	DefaultSSEPath        = "/events"
	DefaultSSERetry       = 3 * time.Second
	DefaultMaxQueue       = 100000   // messages waiting for one client
	DefaultMaxQueueBytes  = 16 << 20 // bytes waiting for one client
	DefaultConnBurst      = 10       // new connections an address may open at once
	DefaultMaxGroups      = 256      // groups of one uid (and of one page's own)
	DefaultHoldMaxTTL     = 5 * time.Minute
	DefaultHoldMessages   = 100      // held messages of one uid
	DefaultHoldBytes      = 64 << 10 // bytes of one uid's held messages
	MaxHoldTTL            = 24 * time.Hour

	DefaultRecoveryWindow     = 2 * time.Minute // recovery.window, Node's maxDisconnectionDuration
	DefaultRecoveryMaxPackets = 1000            // recovery.max_packets

	DefaultSignWindow = 5 * time.Minute // api.signature_window
	MinSecretLength   = 16              // bytes of api.secret and auth.secret, when set
)

// Config is every setting pushio reads. The mapstructure tags are the keys
// of config.yaml; the environment variable of a key is PUSHIO_ followed by
// the key in upper case with dots as underscores (io.addr: PUSHIO_IO_ADDR).
type Config struct {
	IO     IO              `mapstructure:"io"`
	API    API             `mapstructure:"api"`
	Redis  Redis           `mapstructure:"redis"`
	Log    Log             `mapstructure:"log"`
	Counts settings.Counts `mapstructure:"counts"`
	Auth   Auth            `mapstructure:"auth"`
	Groups settings.Groups `mapstructure:"groups"`
	Hold   Hold            `mapstructure:"hold"`
	// Recovery is Socket.IO's connection state recovery.
	Recovery settings.Recovery `mapstructure:"recovery"`
	// ShutdownTimeout bounds a graceful stop on SIGINT/SIGTERM.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

// IO is the Socket.IO listener that browsers connect to. The settings of
// the parts serving it are declared in package settings and held here
// whole (squashed: their keys are io.* as in config.yaml). The decoder
// reads, and so reports wrong values, in the order of the fields here,
// the listener's own first and then each embedded struct's.
type IO struct {
	Addr string `mapstructure:"addr"`
	// TrustedProxies lists the proxy addresses or CIDRs whose
	// X-Forwarded-For names the client address for the per-address limits
	// (TrustedPrefixes parses them).
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// TLSCert and TLSKey serve wss/https directly when both are set.
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`
	// DrainWindow spreads the disconnection of clients on SIGTERM.
	DrainWindow time.Duration `mapstructure:"drain_window"`

	// Connection bounds every page: heartbeat, message size, write queue.
	settings.Connection `mapstructure:",squash"`
	// Limits bound the sessions admitted.
	settings.Limits `mapstructure:",squash"`
	// SocketIO is Socket.IO's path and origins, and the demo page.
	settings.SocketIO `mapstructure:",squash"`
	// Wires are the paths of the pages without Socket.IO.
	settings.Wires `mapstructure:",squash"`
}

// TrustedPrefixes returns TrustedProxies as prefixes, an address as a
// prefix of its full length. Entries Validate refuses are left out.
func (io IO) TrustedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range io.TrustedProxies {
		if p, ok := parsePrefix(s); ok {
			out = append(out, p)
		}
	}
	return out
}

// API is the HTTP publish API that backends call.
type API struct {
	Addr          string        `mapstructure:"addr"`
	HeaderTimeout time.Duration `mapstructure:"header_timeout"`
	ReadTimeout   time.Duration `mapstructure:"read_timeout"`
	WriteTimeout  time.Duration `mapstructure:"write_timeout"`
	IdleTimeout   time.Duration `mapstructure:"idle_timeout"`
	// TLSCert and TLSKey serve https directly when both are set.
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`

	// Secret, when set, must come with every publish request, as
	// "Authorization: Bearer <secret>" or a secret parameter.
	Secret string `mapstructure:"secret"`
	// Signature requires every request to be signed with Secret (HMAC-SHA256,
	// auth_timestamp + auth_signature) instead of carrying it.
	Signature bool `mapstructure:"signature"`
	// SignatureWindow is how far auth_timestamp may be from now; a
	// signature is refused a second time within it.
	SignatureWindow time.Duration `mapstructure:"signature_window"`
	// Allow lists the CIDRs (or single IPs) whose peers may publish and
	// read /metrics; empty allows all.
	Allow []string `mapstructure:"allow"`
	// RateLimit is the requests per second one peer IP may make; 0 is no limit.
	RateLimit int `mapstructure:"rate_limit"`
	// RateBurst is how many requests beyond the rate one peer IP may make
	// at once; 0 is the same as RateLimit.
	RateBurst int `mapstructure:"rate_burst"`

	// Requests bound one request (body, URI, batch items), as IO's
	// embedded structs do.
	settings.Requests `mapstructure:",squash"`
}

// Redis selects the cluster mode: an empty URL means a single node.
type Redis struct {
	URL string `mapstructure:"url"`
	// Prefix starts every channel and key, as @socket.io/redis-adapter's key.
	Prefix string `mapstructure:"prefix"`
	// PresenceTTL is how long a killed instance's uids stay online.
	PresenceTTL time.Duration `mapstructure:"presence_ttl"`
	// Timeout bounds every Redis call made while serving a request.
	Timeout time.Duration `mapstructure:"timeout"`
}

// Log configures log/slog output on stderr.
type Log struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // text or json
}

// Auth configures signed logins.
type Auth struct {
	// Secret, when set, makes every login carry a token for its uid: the
	// hex HMAC-SHA256 of the uid or an HS256 JWT, both keyed with Secret.
	Secret string `mapstructure:"secret"`
	// Required makes an empty Secret a start-up error rather than a
	// warning, so that a production instance never runs with unsigned
	// logins because an environment variable was lost.
	Required bool `mapstructure:"required"`
}

// Hold configures held messages: a push that reaches no page of a uid is
// kept for the uid's next login, for its ttl.
type Hold struct {
	// MaxMessages and MaxBytes bound one uid's held messages; beyond,
	// the oldest are dropped.
	MaxMessages int   `mapstructure:"max_messages"`
	MaxBytes    int64 `mapstructure:"max_bytes"`
	// Hold is the ttl of a held publish and its cap (hold.ttl,
	// hold.max_ttl), which the publish API reads.
	settings.Hold `mapstructure:",squash"`
}

// defaults maps every key to its default value. Every key must be here:
// viper only lets environment variables reach Unmarshal for keys it knows.
func defaults() map[string]any {
	return map[string]any{
		"io.addr":                    DefaultIOAddr,
		"io.path":                    DefaultIOPath,
		"io.ws_path":                 DefaultWSPath,
		"io.sse_path":                DefaultSSEPath,
		"io.sse_retry":               DefaultSSERetry,
		"io.cors_origins":            []string{"*"},
		"io.ping_interval":           DefaultPingInterval,
		"io.ping_timeout":            DefaultPingTimeout,
		"io.max_payload":             DefaultMaxPayload,
		"io.demo":                    true,
		"io.max_connections":         0,
		"io.max_connections_per_ip":  0,
		"io.connection_rate_per_ip":  0.0,
		"io.connection_burst_per_ip": DefaultConnBurst,
		"io.trusted_proxies":         []string{},
		"io.max_queue":               DefaultMaxQueue,
		"io.max_queue_bytes":         DefaultMaxQueueBytes,
		"io.tls_cert":                "",
		"io.tls_key":                 "",
		"io.drain_window":            DefaultDrainWindow,
		"api.addr":                   DefaultAPIAddr,
		"api.max_body":               DefaultMaxBody,
		"api.max_url":                DefaultMaxURL,
		"api.max_batch":              DefaultMaxBatch,
		"groups.max_per_uid":         DefaultMaxGroups,
		"api.header_timeout":         DefaultHeaderTimeout,
		"api.read_timeout":           DefaultReadTimeout,
		"api.write_timeout":          DefaultWriteTimeout,
		"api.idle_timeout":           DefaultIdleTimeout,
		"api.tls_cert":               "",
		"api.tls_key":                "",

		// Publish API access: off by default, as the original.
		"api.secret":           "",
		"api.signature":        false,
		"api.signature_window": DefaultSignWindow,
		"api.allow":            []string{},
		"api.rate_limit":       0,
		"api.rate_burst":       0,

		"redis.url":            "",
		"redis.prefix":         DefaultRedisPrefix,
		"redis.presence_ttl":   DefaultPresenceTTL,
		"redis.timeout":        DefaultRedisTimeout,
		"log.level":            "info",
		"log.format":           "text",
		"counts.interval":      DefaultCountsInterval,
		"auth.secret":          "",
		"auth.required":        false,
		"hold.ttl":             time.Duration(0),
		"hold.max_ttl":         DefaultHoldMaxTTL,
		"hold.max_messages":    DefaultHoldMessages,
		"hold.max_bytes":       DefaultHoldBytes,
		"recovery.window":      DefaultRecoveryWindow,
		"recovery.max_packets": DefaultRecoveryMaxPackets,
		"shutdown_timeout":     DefaultShutdown,
	}
}
