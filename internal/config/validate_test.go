package config

import (
	"testing"
	"time"

	"github.com/spf13/viper"
)

// defaultConfig is the configuration of defaults() alone.
func defaultConfig(t *testing.T) Config {
	t.Helper()
	v := viper.New()
	for key, value := range defaults() {
		v.SetDefault(key, value)
	}
	var cfg Config
	if err := v.UnmarshalExact(&cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestValidateDefaults(t *testing.T) {
	t.Parallel()
	cfg := defaultConfig(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Config)
	}{
		{"both addrs on port 0", func(c *Config) { c.IO.Addr, c.API.Addr = "127.0.0.1:0", "127.0.0.1:0" }},
		{"ipv6 addr", func(c *Config) { c.API.Addr = "[::1]:2121" }},
		{"highest port", func(c *Config) { c.API.Addr = "localhost:65535" }},
		{"origin list", func(c *Config) {
			c.IO.CORSOrigins = []string{"https://example.com", "http://localhost:8080"}
		}},
		{"no origins", func(c *Config) { c.IO.CORSOrigins = nil }},
		{"nested path", func(c *Config) { c.IO.Path = "/push/socket.io" }},
		{"redis url", func(c *Config) { c.Redis.URL = "redis://127.0.0.1:6379/0" }},
		{"rediss url", func(c *Config) { c.Redis.URL = "rediss://user:pw@redis.example:6380" }},
		{"unix redis url", func(c *Config) { c.Redis.URL = "unix:///run/redis.sock" }},
		{"smallest limits", func(c *Config) {
			c.IO.MaxPayload, c.API.MaxBody, c.API.MaxURL, c.IO.PingTimeout = 1024, 1024, 256, 2*time.Second
		}},
		{"json debug log", func(c *Config) { c.Log.Level, c.Log.Format = "debug", "json" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := defaultConfig(t)
			tt.change(&cfg)
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	t.Parallel()
	const (
		addrRule = "want host:port, e.g. :2120 or 127.0.0.1:2120"
		portRule = "want a port from 0 to 65535, e.g. :2120"
	)
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"io.addr without port", func(c *Config) { c.IO.Addr = "foo" },
			`config: io.addr "foo": ` + addrRule},
		{"hold.ttl negative", func(c *Config) { c.Hold.TTL = -time.Second },
			`config: hold.ttl "-1s": must be at least 0s, e.g. 0s`},
		{"hold.ttl above max_ttl", func(c *Config) { c.Hold.TTL = 10 * time.Minute },
			`config: hold.ttl "10m0s": must be at most hold.max_ttl (5m)`},
		{"hold.max_ttl too small", func(c *Config) { c.Hold.MaxTTL = 0 },
			`config: hold.max_ttl "0s": must be at least 1s, e.g. 5m`},
		{"hold.max_ttl too large", func(c *Config) { c.Hold.MaxTTL = 48 * time.Hour },
			`config: hold.max_ttl "48h0m0s": must be at most 24h`},
		{"hold.max_messages zero", func(c *Config) { c.Hold.MaxMessages = 0 },
			`config: hold.max_messages "0": must be at least 1`},
		{"hold.max_bytes small", func(c *Config) { c.Hold.MaxBytes = 100 },
			`config: hold.max_bytes "100": must be at least 1024 bytes`},
		{"io.addr port too big", func(c *Config) { c.IO.Addr = ":99999" },
			`config: io.addr ":99999": ` + portRule},
		{"api.addr named port", func(c *Config) { c.API.Addr = "localhost:http" },
			`config: api.addr "localhost:http": ` + portRule},
		{"api.addr empty", func(c *Config) { c.API.Addr = "" },
			`config: api.addr "": ` + addrRule},
		{"api.addr empty port", func(c *Config) { c.API.Addr = "127.0.0.1:" },
			`config: api.addr "127.0.0.1:": ` + portRule},
		{"same addrs", func(c *Config) { c.IO.Addr, c.API.Addr = ":3000", ":3000" },
			`config: api.addr ":3000": must differ from io.addr`},
		{"io.path relative", func(c *Config) { c.IO.Path = "socket.io" },
			`config: io.path "socket.io": must start with / and not be / itself (the demo page is there)`},
		{"io.path root", func(c *Config) { c.IO.Path = "/" },
			`config: io.path "/": must start with / and not be / itself (the demo page is there)`},
		{"io.ws_path relative", func(c *Config) { c.IO.WSPath = "ws" },
			`config: io.ws_path "ws": must start with /, not end with / and not be / itself (empty turns it off)`},
		{"io.sse_path root", func(c *Config) { c.IO.SSEPath = "/" },
			`config: io.sse_path "/": must start with /, not end with / and not be / itself (empty turns it off)`},
		{"io.ws_path under io.path", func(c *Config) { c.IO.WSPath = "/socket.io/ws" },
			`config: io.ws_path "/socket.io/ws": must be outside io.path (/socket.io)`},
		{"io.sse_path is io.path", func(c *Config) { c.IO.SSEPath = "/socket.io" },
			`config: io.sse_path "/socket.io": must be outside io.path (/socket.io)`},
		{"io.ws_path taken", func(c *Config) { c.IO.WSPath = "/healthz" },
			`config: io.ws_path "/healthz": is taken by pushio`},
		{"io.sse_path same as io.ws_path", func(c *Config) { c.IO.SSEPath = "/ws" },
			`config: io.sse_path "/ws": must differ from io.ws_path`},
		{"io.sse_retry too short", func(c *Config) { c.IO.SSERetry = 10 * time.Millisecond },
			`config: io.sse_retry "10ms": must be at least 100ms, e.g. 3s`},
		{"origin with path", func(c *Config) { c.IO.CORSOrigins = []string{"https://example.com/"} },
			`config: io.cors_origins "https://example.com/": want "*" or an origin like https://example.com`},
		{"origin without scheme", func(c *Config) { c.IO.CORSOrigins = []string{"*", "example.com"} },
			`config: io.cors_origins "example.com": want "*" or an origin like https://example.com`},
		{"ping interval zero", func(c *Config) { c.IO.PingInterval = 0 },
			`config: io.ping_interval "0s": must be at least 1s, e.g. 25s`},
		{"ping timeout negative", func(c *Config) { c.IO.PingTimeout = -time.Second },
			`config: io.ping_timeout "-1s": must be at least 2s (smaller values drop healthy clients under load), e.g. 20s`},
		{"ping timeout too small", func(c *Config) { c.IO.PingTimeout = 1500 * time.Millisecond },
			`config: io.ping_timeout "1.5s": must be at least 2s (smaller values drop healthy clients under load), e.g. 20s`},
		{"max payload", func(c *Config) { c.IO.MaxPayload = 1023 },
			`config: io.max_payload "1023": must be at least 1024 bytes`},
		{"max body", func(c *Config) { c.API.MaxBody = 0 },
			`config: api.max_body "0": must be at least 1024 bytes`},
		{"max url", func(c *Config) { c.API.MaxURL = 255 },
			`config: api.max_url "255": must be at least 256 bytes`},
		{"header timeout", func(c *Config) { c.API.HeaderTimeout = 0 },
			`config: api.header_timeout "0s": must be at least 1s, e.g. 10s`},
		{"read timeout", func(c *Config) { c.API.ReadTimeout = 0 },
			`config: api.read_timeout "0s": must be at least 1s, e.g. 1m`},
		{"write timeout", func(c *Config) { c.API.WriteTimeout = 0 },
			`config: api.write_timeout "0s": must be at least 1s, e.g. 1m`},
		{"idle timeout", func(c *Config) { c.API.IdleTimeout = 0 },
			`config: api.idle_timeout "0s": must be at least 1s, e.g. 2m`},
		{"redis scheme", func(c *Config) { c.Redis.URL = "http://127.0.0.1:6379" },
			`config: redis.url "http://127.0.0.1:6379": want redis://host:port[/db], rediss://… or unix://path, or empty for a single node`},
		{"redis no scheme", func(c *Config) { c.Redis.URL = "127.0.0.1:6379" },
			`config: redis.url "127.0.0.1:6379": want redis://host:port[/db], rediss://… or unix://path, or empty for a single node`},
		{"redis prefix", func(c *Config) { c.Redis.Prefix = "" },
			`config: redis.prefix "": must not be empty`},
		{"presence ttl", func(c *Config) { c.Redis.PresenceTTL = 0 },
			`config: redis.presence_ttl "0s": must be at least 2s (instances heartbeat every presence_ttl/4), e.g. 15s`},
		{"redis timeout", func(c *Config) { c.Redis.Timeout = 0 },
			`config: redis.timeout "0s": must be at least 100ms, e.g. 2s`},
		{"log level", func(c *Config) { c.Log.Level = "trace" },
			`config: log.level "trace": want debug, info, warn or error`},
		{"log format", func(c *Config) { c.Log.Format = "xml" },
			`config: log.format "xml": want text or json`},
		{"counts interval", func(c *Config) { c.Counts.Interval = 0 },
			`config: counts.interval "0s": must be at least 100ms (each change is a message to every page), e.g. 1s`},
		{"recovery window", func(c *Config) { c.Recovery.Window = -time.Second },
			`config: recovery.window "-1s": must be at least 0s (0 turns recovery off), e.g. 2m`},
		{"recovery max packets", func(c *Config) { c.Recovery.MaxPackets = 0 },
			`config: recovery.max_packets "0": must be at least 1 packet`},
		{"shutdown timeout", func(c *Config) { c.ShutdownTimeout = -1 },
			`config: shutdown_timeout "-1ns": must be at least 2s, e.g. 10s`},
		{"every problem at once", func(c *Config) { c.Log.Level, c.Log.Format, c.IO.Path = "", "", "" },
			"config: io.path \"\": must start with / and not be / itself (the demo page is there)\n" +
				"config: log.level \"\": want debug, info, warn or error\n" +
				`config: log.format "": want text or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := defaultConfig(t)
			tt.change(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Validate() =\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}
