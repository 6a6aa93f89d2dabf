package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// shippedConfig is the config.yaml at the repository's root.
const shippedConfig = "../../config.yaml"

// isolate runs the test in an empty directory (no ./config.yaml) with no
// PUSHIO_* variable from the caller's environment; viper ignores empty ones.
func isolate(t *testing.T) {
	t.Helper()
	for key := range defaults() {
		t.Setenv(EnvName(key), "")
	}
	t.Chdir(t.TempDir())
}

// writeFile writes content to name in the current directory and returns
// its absolute path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, args ...string) *Config {
	t.Helper()
	cfg, _, err := Load(args, io.Discard)
	if err != nil {
		t.Fatalf("Load(%q): %v", args, err)
	}
	return cfg
}

// TestDefaultsMatchShippedConfig keeps config.yaml, which documents every
// key with its default, and defaults() from drifting apart.
func TestDefaultsMatchShippedConfig(t *testing.T) {
	shipped, err := filepath.Abs(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	isolate(t)

	v := viper.New()
	v.SetConfigFile(shipped)
	if err := v.ReadInConfig(); err != nil {
		t.Fatalf("reading %s: %v", shipped, err)
	}
	fileKeys := v.AllKeys()
	sort.Strings(fileKeys)
	var defaultKeys []string
	for key := range defaults() {
		defaultKeys = append(defaultKeys, key)
	}
	sort.Strings(defaultKeys)
	if !slices.Equal(fileKeys, defaultKeys) {
		t.Errorf("config.yaml keys = %q\ndefaults() keys = %q", fileKeys, defaultKeys)
	}

	fromDefaults := mustLoad(t)
	fromFile := mustLoad(t, "--config", shipped)
	if !reflect.DeepEqual(fromDefaults, fromFile) {
		t.Errorf("defaults differ from config.yaml:\ndefaults:    %+v\nconfig.yaml: %+v", fromDefaults, fromFile)
	}
	if fromDefaults.IO.Addr != DefaultIOAddr || fromDefaults.API.MaxBody != DefaultMaxBody ||
		fromDefaults.IO.PingTimeout != DefaultPingTimeout {
		t.Errorf("defaults() does not use the named defaults: %+v", fromDefaults)
	}
}

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name string
		file string // ./config.yaml when not empty
		env  map[string]string
		args []string
		get  func(*Config) any
		want any
	}{
		{
			name: "default",
			get:  func(c *Config) any { return c.IO.Addr },
			want: DefaultIOAddr,
		},
		{
			name: "file over default",
			file: "io:\n  addr: \":3000\"\n",
			get:  func(c *Config) any { return c.IO.Addr },
			want: ":3000",
		},
		{
			name: "env over file",
			file: "io:\n  addr: \":3000\"\n",
			env:  map[string]string{"PUSHIO_IO_ADDR": ":3001"},
			get:  func(c *Config) any { return c.IO.Addr },
			want: ":3001",
		},
		{
			name: "flag over env and file",
			file: "io:\n  addr: \":3000\"\n",
			env:  map[string]string{"PUSHIO_IO_ADDR": ":3001"},
			args: []string{"--io.addr", ":3002"},
			get:  func(c *Config) any { return c.IO.Addr },
			want: ":3002",
		},
		{
			name: "flag over file",
			file: "log:\n  level: warn\n",
			args: []string{"--log.level=debug"},
			get:  func(c *Config) any { return c.Log.Level },
			want: "debug",
		},
		{
			name: "file keeps what env does not set",
			file: "api:\n  max_url: 1000\n",
			env:  map[string]string{"PUSHIO_API_MAX_BODY": "2048"},
			get:  func(c *Config) any { return [2]int64{c.API.MaxBody, int64(c.API.MaxURL)} },
			want: [2]int64{2048, 1000},
		},
		{
			name: "env duration",
			env:  map[string]string{"PUSHIO_IO_PING_INTERVAL": "1m30s"},
			get:  func(c *Config) any { return c.IO.PingInterval },
			want: 90 * time.Second,
		},
		{
			name: "env bool",
			env:  map[string]string{"PUSHIO_IO_DEMO": "false"},
			get:  func(c *Config) any { return c.IO.Demo },
			want: false,
		},
		{
			name: "env list is comma-separated",
			env:  map[string]string{"PUSHIO_IO_CORS_ORIGINS": "https://a.example,https://b.example"},
			get:  func(c *Config) any { return c.IO.CORSOrigins },
			want: []string{"https://a.example", "https://b.example"},
		},
		{
			name: "env list entries are trimmed",
			env: map[string]string{
				"PUSHIO_IO_CORS_ORIGINS":    "https://a.example, https://b.example",
				"PUSHIO_IO_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
				"PUSHIO_API_ALLOW":          " 192.0.2.7 ,10.0.0.0/8",
			},
			get: func(c *Config) any {
				return [][]string{c.IO.CORSOrigins, c.IO.TrustedProxies, c.API.Allow}
			},
			want: [][]string{{"https://a.example", "https://b.example"}, {"127.0.0.1", "10.0.0.0/8"}, {"192.0.2.7", "10.0.0.0/8"}},
		},
		{
			name: "flag list",
			env:  map[string]string{"PUSHIO_IO_CORS_ORIGINS": "https://a.example"},
			args: []string{"--io.cors_origins=https://c.example,https://d.example"},
			get:  func(c *Config) any { return c.IO.CORSOrigins },
			want: []string{"https://c.example", "https://d.example"},
		},
		{
			name: "file list",
			file: "io:\n  cors_origins: [\"https://a.example\"]\n",
			get:  func(c *Config) any { return c.IO.CORSOrigins },
			want: []string{"https://a.example"},
		},
		{
			name: "top-level key from env",
			env:  map[string]string{"PUSHIO_SHUTDOWN_TIMEOUT": "30s"},
			get:  func(c *Config) any { return c.ShutdownTimeout },
			want: 30 * time.Second,
		},
		{
			name: "env int64",
			env:  map[string]string{"PUSHIO_IO_MAX_PAYLOAD": "4096"},
			get:  func(c *Config) any { return c.IO.MaxPayload },
			want: int64(4096),
		},
		{
			name: "flag bool",
			file: "io:\n  demo: true\n",
			args: []string{"--io.demo=false"},
			get:  func(c *Config) any { return c.IO.Demo },
			want: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			if tt.file != "" {
				writeFile(t, "config.yaml", tt.file)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if got := tt.get(mustLoad(t, tt.args...)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestLoadNamedFile(t *testing.T) {
	isolate(t)
	writeFile(t, "config.yaml", "io:\n  addr: \":3000\"\n")
	// Any extension: the file is YAML whatever its name.
	named := writeFile(t, "pushio.conf", "io:\n  addr: \":4000\"\n")
	if got := mustLoad(t, "--config", named).IO.Addr; got != ":4000" {
		t.Errorf("--config %s: io.addr = %q, want :4000 (the named file, not ./config.yaml)", named, got)
	}
}

func TestLoadOptions(t *testing.T) {
	isolate(t)
	_, opts, err := Load([]string{"--check-config", "--version", "--config", ""}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Options{CheckConfig: true, Version: true}); opts != want {
		t.Errorf("options = %+v, want %+v", opts, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		file string // written as bad.yaml and passed with --config
		env  map[string]string
		args []string
		// want is the whole error text; FILE stands for the file's path.
		want string
	}{
		{
			name: "unknown key",
			file: "io:\n  addr: \":2120\"\n  bogus: 1\n",
			want: "config: unknown key io.bogus in FILE",
		},
		{
			name: "unknown keys, sorted",
			file: "zzz: 1\napi:\n  max_bdy: 5\nio:\n  bogus:\n    deeper: 1\n",
			want: "config: unknown key api.max_bdy in FILE\n" +
				"config: unknown key io.bogus.deeper in FILE\n" +
				"config: unknown key zzz in FILE",
		},
		{
			name: "section given a value",
			file: "io: 5\n",
			want: `config: io "5": want a section of keys, as in config.yaml`,
		},
		{
			name: "list for a string",
			file: "io:\n  addr: [1]\n",
			want: `config: io.addr "[1]": want a string`,
		},
		{
			name: "env not a number",
			env:  map[string]string{"PUSHIO_IO_MAX_PAYLOAD": "abc"},
			want: `config: io.max_payload "abc": want a whole number`,
		},
		{
			name: "env not a duration and not a bool",
			env:  map[string]string{"PUSHIO_IO_PING_INTERVAL": "soon", "PUSHIO_IO_DEMO": "maybe"},
			// In the order of the Config struct's fields.
			want: "config: io.ping_interval \"soon\": want a duration, e.g. 10s or 1m30s\n" +
				`config: io.demo "maybe": want true or false`,
		},
		{
			name: "env not a float",
			env:  map[string]string{"PUSHIO_IO_CONNECTION_RATE_PER_IP": "fast"},
			want: `config: io.connection_rate_per_ip "fast": want a number`,
		},
		{
			name: "a secret never appears",
			file: "api:\n  secret: [\"hunter2hunter2hunter2hunter2hunter2\"]\n",
			want: `config: api.secret "<hidden>": want a string`,
		},
		{
			name: "flag not a number",
			args: []string{"--api.max_url=lots"},
			want: `config: invalid argument "lots" for "--api.max_url" flag: strconv.ParseInt: parsing "lots": invalid syntax`,
		},
		{
			name: "unknown flag",
			args: []string{"--io.bogus=1"},
			want: "config: unknown flag: --io.bogus",
		},
		{
			name: "invalid value from env reaches Validate",
			env:  map[string]string{"PUSHIO_IO_ADDR": "foo"},
			want: `config: io.addr "foo": want host:port, e.g. :2120 or 127.0.0.1:2120`,
		},
		{
			name: "invalid value from file reaches Validate",
			file: "log:\n  format: xml\n",
			want: `config: log.format "xml": want text or json`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			args := tt.args
			file := ""
			if tt.file != "" {
				file = writeFile(t, "bad.yaml", tt.file)
				args = append([]string{"--config", file}, args...)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, _, err := Load(args, io.Discard)
			if err == nil {
				t.Fatalf("Load(%q) = %+v, want error %q", args, cfg, tt.want)
			}
			if want := strings.ReplaceAll(tt.want, "FILE", file); err.Error() != want {
				t.Errorf("error:\n%s\nwant:\n%s", err, want)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	isolate(t)
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	_, _, err := Load([]string{"--config", missing}, io.Discard)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "config: reading "+missing+": ") {
		t.Errorf("--config with a missing file: error %v, want one naming %s that wraps fs.ErrNotExist", err, missing)
	}

	broken := writeFile(t, "broken.yaml", "io:\n  addr: [\n")
	_, _, err = Load([]string{"--config", broken}, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "config: reading "+broken+": While parsing config: yaml:") {
		t.Errorf("--config with broken YAML: error %v, want one naming %s and the YAML error", err, broken)
	}

	writeFile(t, "config.yaml", "io:\n  bogus: 1\n")
	_, _, err = Load(nil, io.Discard)
	if want := "config: unknown key io.bogus in " + filepath.Join(mustGetwd(t), "config.yaml"); err == nil || err.Error() != want {
		t.Errorf("./config.yaml with an unknown key: error %v, want %q", err, want)
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

func TestEnvName(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"io.addr":          "PUSHIO_IO_ADDR",
		"io.cors_origins":  "PUSHIO_IO_CORS_ORIGINS",
		"shutdown_timeout": "PUSHIO_SHUTDOWN_TIMEOUT",
	} {
		if got := EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestUnknownEnv(t *testing.T) {
	t.Parallel()
	environ := []string{
		"PUSHIO_IO_ADDR=:2120", "PUSHIO_IO_ADR=:2120", "PUSHIO_API_SECRETT=x", "PUSHIO_EMPTY=",
		"PUSHIO_TEST_LOG=1", "HOME=/root", "PUSHIO_WHATEVER=1",
	}
	got := UnknownEnv(environ)
	if want := []string{"PUSHIO_API_SECRETT", "PUSHIO_IO_ADR", "PUSHIO_WHATEVER"}; !slices.Equal(got, want) {
		t.Errorf("UnknownEnv = %q, want %q", got, want)
	}
	for name, want := range map[string]string{
		"PUSHIO_IO_ADR":      "not a configuration key; did you mean PUSHIO_IO_ADDR?",
		"PUSHIO_API_SECRETT": "not a configuration key; did you mean PUSHIO_API_SECRET?",
		"PUSHIO_WHATEVER":    "not a configuration key (see config.yaml)",
	} {
		if got := EnvHint(name); got != want {
			t.Errorf("EnvHint(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestLoadOptionsFileRead(t *testing.T) {
	isolate(t)
	_, opts, err := Load(nil, io.Discard)
	if err != nil || opts.FileRead != "" {
		t.Fatalf("no file: FileRead %q, err %v; want empty", opts.FileRead, err)
	}
	path := writeFile(t, "config.yaml", "{}\n")
	if _, opts, err = Load(nil, io.Discard); err != nil || opts.FileRead != path {
		t.Fatalf("./config.yaml: FileRead %q, err %v; want %s", opts.FileRead, err, path)
	}
}

// TestLoadCommand: a named command's flags are parsed beside the keys, in
// any order, its positional arguments are returned, and it has no
// --check-config or --version; its usage replaces the flag list.
func TestLoadCommand(t *testing.T) {
	isolate(t)
	own := pflag.NewFlagSet("try", pflag.ContinueOnError)
	uid := own.String("uid", "", "")
	cfg, _, args, err := LoadCommand([]string{"one", "--uid", "alice", "--log.level=debug", "two"}, io.Discard, Command{Name: "try", Flags: own})
	if err != nil {
		t.Fatal(err)
	}
	if *uid != "alice" || cfg.Log.Level != "debug" || !slices.Equal(args, []string{"one", "two"}) {
		t.Errorf("uid %q, log.level %q, args %q; want alice, debug, [one two]", *uid, cfg.Log.Level, args)
	}
	for _, flag := range []string{"--check-config", "--version"} {
		_, _, _, err := LoadCommand([]string{flag}, io.Discard, Command{Name: "try"})
		if err == nil || !strings.Contains(err.Error(), "unknown flag: "+flag) {
			t.Errorf("LoadCommand(%s) = %v, want unknown flag", flag, err)
		}
	}
	var help strings.Builder
	usage := func(w io.Writer, all *pflag.FlagSet) { _, _ = io.WriteString(w, "try: "+all.Lookup("config").Name) }
	if _, _, _, err := LoadCommand([]string{"-h"}, &help, Command{Name: "try", Usage: usage}); !errors.Is(err, pflag.ErrHelp) {
		t.Errorf("LoadCommand(-h) = %v, want pflag.ErrHelp", err)
	}
	if help.String() != "try: config" {
		t.Errorf("-h printed %q, want the command's usage", help.String())
	}
}
