package config

import (
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestAccessKeys(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" is valid
	}{
		{"defaults", nil, ""},
		{"secret", []string{"--api.secret=0123456789abcdef"}, ""},
		{"short secret", []string{"--api.secret=hunter2"}, `api.secret "<7 bytes>": must be at least 16 bytes`},
		{"signature without secret", []string{"--api.signature"}, "api.signature \"true\": needs api.secret"},
		{"signature", []string{"--api.signature", "--api.secret=0123456789abcdef"}, ""},
		{"zero window", []string{"--api.signature_window=0s"}, "api.signature_window"},
		{"allow list", []string{"--api.allow=10.0.0.0/8,192.0.2.7,::1,fd00::/8"}, ""},
		{"bad CIDR", []string{"--api.allow=10.0.0.0/33"}, `api.allow "10.0.0.0/33": want a CIDR`},
		{"not an address", []string{"--api.allow=example.com"}, `api.allow "example.com"`},
		{"negative rate", []string{"--api.rate_limit=-1"}, "api.rate_limit"},
		{"negative burst", []string{"--api.rate_burst=-1"}, "api.rate_burst"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Load(tt.args, io.Discard)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Load(%v): %v", tt.args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Load(%v) error = %v, want one containing %q", tt.args, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error reveals the secret: %v", err)
			}
		})
	}
}

func TestAccessFromEnv(t *testing.T) {
	t.Setenv("PUSHIO_API_SECRET", "from-the-environment")
	t.Setenv("PUSHIO_API_ALLOW", "10.0.0.0/8,192.0.2.7")
	cfg, _, err := Load(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.API.Secret != "from-the-environment" {
		t.Errorf("api.secret = %q, want the environment's", cfg.API.Secret)
	}
	got, err := cfg.API.AllowPrefixes()
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}
	if !slices.Equal(got, want) {
		t.Errorf("AllowPrefixes() = %v, want %v", got, want)
	}
}
