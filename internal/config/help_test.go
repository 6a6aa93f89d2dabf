package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/pushio/pushio/internal/test/testcert"
)

// TestHelpCoversEveryKey: --help has a meaning and an example for every
// key, and nothing for a key that does not exist.
func TestHelpCoversEveryKey(t *testing.T) {
	for key := range defaults() {
		if h, ok := help[key]; !ok || h.meaning == "" || h.example == "" {
			t.Errorf("help[%q] = %+v: want a meaning and an example", key, h)
		}
	}
	for key := range help {
		if _, ok := defaults()[key]; !ok {
			t.Errorf("help has %q, which is no key", key)
		}
	}
}

// TestHelpExamplesLoad: every example --help shows is a value Load
// accepts (with the keys it needs beside it), so that none misleads.
func TestHelpExamplesLoad(t *testing.T) {
	isolate(t)
	io := testcert.Write(t, t.TempDir(), "io")
	api := testcert.Write(t, t.TempDir(), "api")
	secret := help["api.secret"].example
	// Keys whose example needs another key set, or a file that exists.
	with := map[string][]string{
		"io.tls_cert":    {"--io.tls_cert=" + io.CertFile, "--io.tls_key=" + io.KeyFile},
		"io.tls_key":     {"--io.tls_cert=" + io.CertFile, "--io.tls_key=" + io.KeyFile},
		"api.tls_cert":   {"--api.tls_cert=" + api.CertFile, "--api.tls_key=" + api.KeyFile},
		"api.tls_key":    {"--api.tls_cert=" + api.CertFile, "--api.tls_key=" + api.KeyFile},
		"api.signature":  {"--api.secret=" + secret},
		"auth.required":  {"--auth.secret=" + secret},
		"api.rate_burst": {"--api.rate_limit=1000"},
	}
	for key, h := range help {
		t.Run(key, func(t *testing.T) {
			args, ok := with[key]
			if !ok {
				args = []string{"--" + key + "=" + h.example}
			} else if !strings.Contains(key, "tls_") {
				args = append(args, "--"+key+"="+h.example)
			}
			if _, _, err := Load(args, &bytes.Buffer{}); err != nil {
				t.Errorf("Load(%q): %v", args, err)
			}
		})
	}
}

// TestHelpOutput: each key's line says its meaning, variable, example
// and default.
func TestHelpOutput(t *testing.T) {
	isolate(t)
	var out bytes.Buffer
	_, _, err := Load([]string{"--help"}, &out)
	if !errors.Is(err, pflag.ErrHelp) {
		t.Fatalf("Load(--help) error = %v, want pflag.ErrHelp", err)
	}
	lines := strings.Split(out.String(), "\n")
	for _, key := range []string{"io.ping_interval", "api.secret", "redis.url", "counts.interval"} {
		var line string
		for _, l := range lines {
			if strings.Contains(l, "--"+key+" ") {
				line = l
			}
		}
		for _, want := range []string{help[key].meaning, EnvName(key), "e.g. --" + key + "=" + help[key].example} {
			if !strings.Contains(line, want) {
				t.Errorf("--help line of %s = %q, want it to contain %q", key, line, want)
			}
		}
	}
	if !strings.Contains(out.String(), `(default 25s)`) {
		t.Errorf("--help does not show io.ping_interval's default:\n%s", out.String())
	}
}
