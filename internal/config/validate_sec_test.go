package config

import (
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/testcert"
)

func TestValidateSecurityKeys(t *testing.T) {
	pair := testcert.Write(t, t.TempDir(), "io")
	cases := []struct {
		name string
		set  func(c *Config)
		want string // "" is valid; else a substring of the error
	}{
		{"defaults", func(*Config) {}, ""},
		{"limits", func(c *Config) {
			c.IO.MaxConnections, c.IO.MaxConnectionsPerIP, c.IO.ConnectionRatePerIP = 10000, 50, 2.5
			c.IO.TrustedProxies = []string{"10.0.0.0/8", "127.0.0.1", "::1"}
		}, ""},
		{"negative max_connections", func(c *Config) { c.IO.MaxConnections = -1 }, `io.max_connections "-1"`},
		{"negative per-ip", func(c *Config) { c.IO.MaxConnectionsPerIP = -1 }, `io.max_connections_per_ip "-1"`},
		{"negative rate", func(c *Config) { c.IO.ConnectionRatePerIP = -1 }, `io.connection_rate_per_ip "-1"`},
		{"zero burst", func(c *Config) { c.IO.ConnectionBurstPerIP = 0 }, `io.connection_burst_per_ip "0"`},
		{"bad proxy", func(c *Config) { c.IO.TrustedProxies = []string{"nginx"} }, `io.trusted_proxies "nginx"`},
		{"zero queue", func(c *Config) { c.IO.MaxQueue = 0 }, `io.max_queue "0"`},
		{"tiny queue bytes", func(c *Config) { c.IO.MaxQueueBytes = 10 }, `io.max_queue_bytes "10"`},
		{"tls pair", func(c *Config) { c.IO.TLSCert, c.IO.TLSKey = pair.CertFile, pair.KeyFile }, ""},
		{"tls cert alone", func(c *Config) { c.API.TLSCert = pair.CertFile }, `api.tls_key "": must be set with api.tls_cert`},
		{"tls key alone", func(c *Config) { c.IO.TLSKey = pair.KeyFile }, `io.tls_cert "": must be set with io.tls_key`},
		{"tls files missing", func(c *Config) { c.IO.TLSCert, c.IO.TLSKey = "/nonexistent.crt", "/nonexistent.key" }, `io.tls_cert "/nonexistent.crt": cannot load it`},
		{"drain window past the shutdown timeout", func(c *Config) { c.IO.DrainWindow = 10 * time.Second }, `io.drain_window "10s": must be shorter than shutdown_timeout (10s)`},
		{"short auth secret", func(c *Config) { c.Auth.Secret = "short" }, `auth.secret "<5 bytes>": must be at least 16 bytes`},
		{"auth secret", func(c *Config) { c.Auth.Secret = "a-long-enough-secret" }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := Load(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.set(c)
			err = c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestTrustedPrefixes(t *testing.T) {
	io := IO{TrustedProxies: []string{"10.1.2.3/8", "127.0.0.1", "::1"}}
	var got []string
	for _, p := range io.TrustedPrefixes() {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 127.0.0.1/32 ::1/128" {
		t.Fatalf("TrustedPrefixes = %v", got)
	}
}

func TestEnvSetsSecurityKeys(t *testing.T) {
	t.Setenv("PUSHIO_AUTH_SECRET", "from-the-environment")
	t.Setenv("PUSHIO_IO_CONNECTION_RATE_PER_IP", "0.5")
	t.Setenv("PUSHIO_IO_TRUSTED_PROXIES", "10.0.0.0/8,192.168.0.1")
	c, _, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.Secret != "from-the-environment" || c.IO.ConnectionRatePerIP != 0.5 || len(c.IO.TrustedProxies) != 2 {
		t.Fatalf("env not applied: secret %q rate %v proxies %v", c.Auth.Secret, c.IO.ConnectionRatePerIP, c.IO.TrustedProxies)
	}
}

// TestShippedConfigsValidate loads the documented config files as they
// are; the production one with its secret from the environment, and
// refused without it (auth.required).
func TestShippedConfigsValidate(t *testing.T) {
	const production = "../../deploy/config.production.yaml"
	for _, path := range []string{"../../config.yaml", production} {
		t.Run(path, func(t *testing.T) {
			t.Setenv("PUSHIO_AUTH_SECRET", "a-secret-from-the-environment")
			if _, _, err := Load([]string{"--config", path}, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("production without PUSHIO_AUTH_SECRET", func(t *testing.T) {
		t.Setenv("PUSHIO_AUTH_SECRET", "")
		_, _, err := Load([]string{"--config", production}, nil)
		if want := `config: auth.required "true": needs auth.secret`; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("error %v, want one starting %q", err, want)
		}
	})
}
