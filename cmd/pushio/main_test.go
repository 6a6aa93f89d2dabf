package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/config"
	"github.com/pushio/pushio/internal/test/testlog"
)

// TestRunCheckConfig runs the --check-config path the way the binary does:
// it validates, prints "config ok" or returns the error, and never serves;
// --help prints the flags and is not an error.
func TestRunCheckConfig(t *testing.T) {
	tests := []struct {
		name       string
		file       string // written as pushio.yaml and passed with --config
		env        map[string]string
		args       []string
		wantStdout string
		wantStderr string // contained in what run writes to stderr
		wantErr    string
	}{
		{name: "defaults", args: []string{"--check-config"}, wantStdout: "config ok: no config file read (defaults, environment and flags)\n"},
		{
			name:       "valid file",
			file:       "io:\n  addr: \"127.0.0.1:2120\"\nlog:\n  format: json\n",
			args:       []string{"--check-config"},
			wantStdout: "config ok: read DIR/pushio.yaml\n",
		},
		{
			name:    "unknown PUSHIO_ variable",
			env:     map[string]string{"PUSHIO_IO_ADR": "127.0.0.1:2120", "PUSHIO_LOG_LEVEL": "debug"},
			args:    []string{"--check-config"},
			wantErr: "config: environment variable PUSHIO_IO_ADR: not a configuration key; did you mean PUSHIO_IO_ADDR?",
		},
		{
			name:    "stray argument",
			args:    []string{"--check-config", "config.yaml"},
			wantErr: `config: unexpected argument "config.yaml": every setting is a flag`,
		},
		{
			name:    "flag value taken for an argument",
			args:    []string{"--check-config", "--io.demo", "false"},
			wantErr: `config: unexpected argument "false"`,
		},
		{
			name:    "invalid value",
			args:    []string{"--check-config", "--io.addr=foo"},
			wantErr: `config: io.addr "foo": want host:port`,
		},
		{
			name:    "unknown key in file",
			file:    "io:\n  bogus: 1\n",
			args:    []string{"--check-config"},
			wantErr: "config: unknown key io.bogus in ",
		},
		{
			name:    "missing file",
			args:    []string{"--check-config", "--config", "does-not-exist.yaml"},
			wantErr: "config: reading does-not-exist.yaml: ",
		},
		{name: "version", args: []string{"--version"}, wantStdout: "pushio dev (commit unknown, " + runtime.Version() + ")\n"},
		{name: "help", args: []string{"--help"}, wantStderr: "--check-config"},
		{name: "short help", args: []string{"-h"}, wantStderr: "--io.addr string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := tt.args
			dir := t.TempDir()
			if tt.file != "" {
				path := filepath.Join(dir, "pushio.yaml")
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", path)
			}
			var stdout, stderr bytes.Buffer
			err := run(args, &stdout, &stderr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run(%q) = %v", args, err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Fatalf("run(%q) = %v, want an error starting %q", args, err, tt.wantErr)
			}
			if want := strings.ReplaceAll(tt.wantStdout, "DIR", dir); stdout.String() != want {
				t.Errorf("stdout = %q, want %q", stdout.String(), want)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// isolate runs the test in an empty directory with no PUSHIO_* variable
// from the caller's environment (viper ignores empty ones).
func isolate(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, config.EnvPrefix+"_") {
			t.Setenv(name, "")
		}
	}
	t.Chdir(t.TempDir())
}

// TestWarnOpenLogins: unsigned logins are warned about whatever io.addr,
// loopback behind nginx included (the production file's setup).
func TestWarnOpenLogins(t *testing.T) {
	t.Parallel()
	const warning = "logins are not signed"
	tests := []struct {
		name, addr, secret string
		warn               bool
	}{
		{"all interfaces", ":2120", "", true},
		{"loopback behind a proxy", "127.0.0.1:2120", "", true},
		{"signed", "127.0.0.1:2120", "a-long-enough-secret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := &config.Config{IO: config.IO{Addr: tt.addr}, API: config.API{Addr: "127.0.0.1:2121"}, Auth: config.Auth{Secret: tt.secret}}
			var buf testlog.Buffer
			warnOpen(cfg, buf.Logger())
			if got := strings.Contains(buf.Take(), warning); got != tt.warn {
				t.Errorf("warned %v, want %v", got, tt.warn)
			}
		})
	}
}

// TestLoggerDurations: JSON lines write a duration as "5s", not as
// integer nanoseconds; text lines are unchanged.
func TestLoggerDurations(t *testing.T) {
	t.Parallel()
	for format, want := range map[string]string{"json": `"window":"5s"`, "text": "window=5s"} {
		var buf bytes.Buffer
		newLogger(format, slog.LevelInfo, &buf).Info("draining", "window", 5*time.Second)
		if !strings.Contains(buf.String(), want) {
			t.Errorf("%s: %q, want it to contain %s", format, buf.String(), want)
		}
	}
}
