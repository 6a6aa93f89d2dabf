// Package config holds pushio's one configuration struct, its defaults, the
// loading of config.yaml, PUSHIO_* environment variables and command-line
// flags (flag > env > file > default), and the validation of the result.
package config

import (
	"net/netip"
	"time"
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

	DefaultSignWindow = 5 * time.Minute // api.signature_window
	MinSecretLength   = 16              // bytes of api.secret and auth.secret, when set
)

// Config is every setting pushio reads. The mapstructure tags are the keys
// of config.yaml; the environment variable of a key is PUSHIO_ followed by
// the key in upper case with dots as underscores (io.addr: PUSHIO_IO_ADDR).
type Config struct {
	IO     IO     `mapstructure:"io"`
	API    API    `mapstructure:"api"`
	Redis  Redis  `mapstructure:"redis"`
	Log    Log    `mapstructure:"log"`
	Counts Counts `mapstructure:"counts"`
	Auth   Auth   `mapstructure:"auth"`
	Groups Groups `mapstructure:"groups"`
	// ShutdownTimeout bounds a graceful stop on SIGINT/SIGTERM.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

// Groups bound the groups (issue 10's GatewayWorker groups).
type Groups struct {
	// MaxPerUID is the most groups one uid may be in by membership of the
	// uid, and one page by its own (its login token's, joins by its
	// client id); a join past it is refused.
	MaxPerUID int `mapstructure:"max_per_uid"`
}

// IO is the Socket.IO listener that browsers connect to.
type IO struct {
	Addr string `mapstructure:"addr"`
	// Path is where Socket.IO is served; the demo page is served at /.
	Path string `mapstructure:"path"`
	// WSPath is where pages on the browser's own WebSocket connect,
	// SSEPath where EventSource pages do; empty turns one off.
	WSPath  string `mapstructure:"ws_path"`
	SSEPath string `mapstructure:"sse_path"`
	// SSERetry is the reconnection delay event streams tell EventSource.
	SSERetry time.Duration `mapstructure:"sse_retry"`
	// CORSOrigins lists the page origins allowed to connect; "*" allows any
	// origin (echoed back with credentials, as the original does).
	CORSOrigins  []string      `mapstructure:"cors_origins"`
	PingInterval time.Duration `mapstructure:"ping_interval"`
	PingTimeout  time.Duration `mapstructure:"ping_timeout"`
	// MaxPayload is the largest message, in bytes, a client may send.
	MaxPayload int64 `mapstructure:"max_payload"`
	// Demo serves the embedded demo page at /.
	Demo bool `mapstructure:"demo"`
	// MaxConnections caps this instance's Engine.IO sessions; 0 is no cap.
	MaxConnections int `mapstructure:"max_connections"`
	// MaxConnectionsPerIP caps the sessions of one client address; 0 is no cap.
	MaxConnectionsPerIP int `mapstructure:"max_connections_per_ip"`
	// ConnectionRatePerIP is how many new sessions per second one client
	// address may open, with bursts of ConnectionBurstPerIP; 0 is no limit.
	ConnectionRatePerIP  float64 `mapstructure:"connection_rate_per_ip"`
	ConnectionBurstPerIP int     `mapstructure:"connection_burst_per_ip"`
	// TrustedProxies lists the proxy addresses or CIDRs whose
	// X-Forwarded-For names the client address for the per-address limits.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// MaxQueue and MaxQueueBytes bound what may wait to be written to one
	// client; a client past either is disconnected as a slow consumer.
	MaxQueue      int   `mapstructure:"max_queue"`
	MaxQueueBytes int64 `mapstructure:"max_queue_bytes"`
	// TLSCert and TLSKey serve wss/https directly when both are set.
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`
	// DrainWindow spreads the disconnection of clients on SIGTERM.
	DrainWindow time.Duration `mapstructure:"drain_window"`
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
	Addr string `mapstructure:"addr"`
	// MaxBody is the largest request body in bytes; larger gets 413 + fail.
	MaxBody int64 `mapstructure:"max_body"`
	// MaxURL is the longest request URI in bytes; longer gets 413 + fail.
	MaxURL int `mapstructure:"max_url"`
	// MaxBatch is the most items of a batch (a JSON array body); more
	// gets 413 + fail.
	MaxBatch      int           `mapstructure:"max_batch"`
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

// Counts configures the update_online_count broadcast.
type Counts struct {
	Interval time.Duration `mapstructure:"interval"`
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

		"redis.url":          "",
		"redis.prefix":       DefaultRedisPrefix,
		"redis.presence_ttl": DefaultPresenceTTL,
		"redis.timeout":      DefaultRedisTimeout,
		"log.level":          "info",
		"log.format":         "text",
		"counts.interval":    DefaultCountsInterval,
		"auth.secret":        "",
		"auth.required":      false,
		"shutdown_timeout":   DefaultShutdown,
	}
}
