package main

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pushio/pushio/server"
)

const (
	testAuthSecret = "login-secret-0123456789"
	testAPISecret  = "api-secret-0123456789"
)

// TestTokenCommand: pushio token prints a JWT for --uid keyed with the
// auth.secret of the flags, the environment or the config file.
func TestTokenCommand(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		file       string // written as pushio.yaml and passed with --config
		args       []string
		wantGroups []string
		wantTTL    time.Duration
	}{
		{name: "flag", args: []string{"--uid", "alice", "--auth.secret", testAuthSecret}, wantTTL: time.Hour},
		{name: "environment", env: map[string]string{"PUSHIO_AUTH_SECRET": testAuthSecret}, args: []string{"--uid=alice", "--ttl=15m"}, wantTTL: 15 * time.Minute},
		{name: "config file", file: "auth:\n  secret: " + testAuthSecret + "\n", args: []string{"--uid", "alice", "--groups", "a, b"}, wantGroups: []string{"a", "b"}, wantTTL: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := append([]string{"token"}, tt.args...)
			if tt.file != "" {
				path := filepath.Join(t.TempDir(), "pushio.yaml")
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", path)
			}
			var stdout, stderr bytes.Buffer
			before := time.Now().Truncate(time.Second)
			if err := run(args, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q) = %v (stderr %q)", args, err, stderr.String())
			}
			var claims server.LoginClaims
			_, err := jwt.ParseWithClaims(strings.TrimSuffix(stdout.String(), "\n"), &claims,
				func(*jwt.Token) (any, error) { return []byte(testAuthSecret), nil },
				jwt.WithValidMethods([]string{"HS256"}))
			if err != nil {
				t.Fatalf("stdout %q is not a JWT keyed with the secret: %v", stdout.String(), err)
			}
			if claims.Subject != "alice" || !slices.Equal(claims.Groups, tt.wantGroups) {
				t.Errorf("sub, groups = %q, %q, want alice, %q", claims.Subject, claims.Groups, tt.wantGroups)
			}
			if ttl := claims.ExpiresAt.Sub(claims.IssuedAt.Time); ttl != tt.wantTTL || claims.IssuedAt.Before(before) {
				t.Errorf("iat %v, exp %v: want iat ≥ %v and a ttl of %v", claims.IssuedAt, claims.ExpiresAt, before, tt.wantTTL)
			}
		})
	}
}

// TestSignCommand: pushio sign prints the fields given, auth_timestamp,
// auth_nonce and auth_signature, a new nonce each time.
func TestSignCommand(t *testing.T) {
	isolate(t)
	t.Setenv("PUSHIO_API_SECRET", testAPISecret)
	t.Setenv("PUSHIO_API_SIGNATURE", "true")
	sign := func() url.Values {
		var stdout, stderr bytes.Buffer
		args := []string{"sign", "--method", "POST", "type=publish&to[]=a&to[]=b&content=hello world"}
		if err := run(args, &stdout, &stderr); err != nil {
			t.Fatalf("run(%q) = %v (stderr %q)", args, err, stderr.String())
		}
		if strings.ContainsAny(strings.TrimSuffix(stdout.String(), "\n"), " \n") {
			t.Errorf("stdout %q: want one line, encoded", stdout.String())
		}
		q, err := url.ParseQuery(strings.TrimSuffix(stdout.String(), "\n"))
		if err != nil {
			t.Fatalf("stdout %q: %v", stdout.String(), err)
		}
		return q
	}
	q := sign()
	if q.Get("type") != "publish" || !slices.Equal(q["to[]"], []string{"a", "b"}) || q.Get("content") != "hello world" {
		t.Errorf("fields %v, want the request's", q)
	}
	if len(q.Get("auth_signature")) != 64 || q.Get("auth_nonce") == "" || q.Get("auth_timestamp") == "" {
		t.Errorf("fields %v: want auth_signature, auth_nonce and auth_timestamp", q)
	}
	if again := sign(); again.Get("auth_nonce") == q.Get("auth_nonce") {
		t.Errorf("two signatures share the nonce %q", q.Get("auth_nonce"))
	}
}

// TestCommandRefusals: a command without its secret, with missing or
// stray arguments or a bad flag value says why and exits with status 2.
func TestCommandRefusals(t *testing.T) {
	auth := "--auth.secret=" + testAuthSecret
	api := []string{"--api.secret=" + testAPISecret, "--api.signature"}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"token without auth.secret", []string{"token", "--uid", "alice"}, "token: auth.secret is not set"},
		{"token without uid", []string{"token", auth}, "token: --uid is required"},
		{"token with an empty uid", []string{"token", "--uid=", auth}, "token: --uid is required"},
		{"token with a stray argument", []string{"token", "--uid", "alice", auth, "bob"}, `token: unexpected argument "bob"`},
		{"token ttl not a duration", []string{"token", "--uid", "alice", auth, "--ttl", "an hour"}, `token: config: invalid argument "an hour" for "--ttl" flag`},
		{"token ttl without a unit", []string{"token", "--uid", "alice", auth, "--ttl", "3600"}, `invalid argument "3600" for "--ttl" flag`},
		{"token ttl negative", []string{"token", "--uid", "alice", auth, "--ttl", "-1h"}, "token: login token: ttl -1h0m0s: must be positive"},
		{"token empty group", []string{"token", "--uid", "alice", auth, "--groups", "a,,b"}, "empty group name"},
		{"token unknown flag", []string{"token", "--uid", "alice", auth, "--tll", "1h"}, "unknown flag: --tll"},
		{"token invalid config", []string{"token", "--uid", "alice", "--auth.secret", "hunter2"}, `auth.secret "<7 bytes>"`},
		{"sign without api.secret", []string{"sign", "type=count"}, "sign: api.secret is not set"},
		{"sign without api.signature", []string{"sign", "--api.secret=" + testAPISecret, "type=count"}, "sign: api.signature is off"},
		{"sign without a request", append([]string{"sign"}, api...), "sign: no request given"},
		{"sign with two requests", append([]string{"sign", "type=count", "type=online"}, api...), `sign: unexpected argument "type=online"`},
		{"sign an empty request", append([]string{"sign", ""}, api...), "has no field"},
		{"sign a signed request", append([]string{"sign", "type=count&auth_signature=ab"}, api...), "has auth_signature"},
		{"sign a bad method", append([]string{"sign", "--method", "PUT", "type=count"}, api...), `method "PUT": want GET or POST`},
		{"sign a bad path", append([]string{"sign", "--path", "push", "type=count"}, api...), `path "push"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
			if code := exitCode(err); code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error reveals the secret: %v", err)
			}
		})
	}
}

// TestCommandHelp: --help lists the commands, and each command's --help
// its own flags; neither is an error.
func TestCommandHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"pushio token --uid U", "pushio sign ", "--io.addr string"}},
		{[]string{"token", "--help"}, []string{"Usage: pushio token", "--uid string", "--ttl duration", "--groups strings", "--config string"}},
		{[]string{"sign", "-h"}, []string{"Usage: pushio sign", "--method string", "--path string", "--config string"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			isolate(t)
			var stdout, stderr bytes.Buffer
			if err := run(tt.args, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q) = %v", tt.args, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("help lacks %q:\n%s", want, stderr.String())
				}
			}
			if tt.args[0] != "--help" && strings.Contains(stderr.String(), "--io.addr") {
				t.Errorf("a command's help lists every configuration key:\n%s", stderr.String())
			}
		})
	}
}

// TestServerErrorsExitOne: the server's own errors keep exit status 1.
func TestServerErrorsExitOne(t *testing.T) {
	isolate(t)
	err := run([]string{"--io.addr=foo"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("run(--io.addr=foo) = %v, exit %d; want an error, exit 1", err, exitCode(err))
	}
}

// TestCommandWarnsUnknownEnv: a misspelt PUSHIO_ variable is named, with
// the key meant, beside the refusal it causes.
func TestCommandWarnsUnknownEnv(t *testing.T) {
	isolate(t)
	t.Setenv("PUSHIO_AUTH_SECRT", testAuthSecret)
	var stdout, stderr bytes.Buffer
	err := run([]string{"token", "--uid", "alice"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "auth.secret is not set") {
		t.Fatalf("run = %v, want auth.secret is not set", err)
	}
	if want := "environment variable PUSHIO_AUTH_SECRT ignored: not a configuration key; did you mean PUSHIO_AUTH_SECRET?"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr.String(), want)
	}
}
