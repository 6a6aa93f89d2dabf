package config

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// EnvPrefix starts every environment variable pushio reads.
const EnvPrefix = "PUSHIO"

// Options are the command-line switches that are not configuration keys.
type Options struct {
	ConfigFile  string
	CheckConfig bool
	Version     bool
	// FileRead is the config file that was read; empty when none was.
	FileRead string
}

// Load parses args (without the program name), reads the config file if
// one is named or ./config.yaml exists, applies PUSHIO_* environment
// variables and returns the validated configuration.
func Load(args []string, stderr io.Writer) (*Config, Options, error) {
	cfg, opts, _, err := LoadCommand(args, stderr, Command{})
	return cfg, opts, err
}

// Command is what one command of the binary adds to Load. The zero
// Command is the server: --check-config and --version, no arguments.
type Command struct {
	// Name, when set, names a command other than the server, which reads
	// the configuration but has no --check-config or --version, and whose
	// positional arguments LoadCommand returns instead of refusing.
	Name string
	// Flags are the command's own, parsed beside the configuration's.
	Flags *pflag.FlagSet
	// Usage, when set, is what -h prints; all holds every flag.
	Usage func(w io.Writer, all *pflag.FlagSet)
}

// LoadCommand is Load for cmd: it also returns the positional arguments
// of a named command.
func LoadCommand(args []string, stderr io.Writer, cmd Command) (*Config, Options, []string, error) {
	var opts Options
	name := "pushio"
	if cmd.Name != "" {
		name += " " + cmd.Name
	}
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	if cmd.Usage != nil {
		fs.Usage = func() { cmd.Usage(stderr, fs) }
	}
	fs.StringVar(&opts.ConfigFile, "config", "", "config file (YAML); default ./config.yaml when present")
	if cmd.Name == "" {
		fs.BoolVar(&opts.CheckConfig, "check-config", false, "validate the configuration and exit")
		fs.BoolVar(&opts.Version, "version", false, "print the version and exit")
	}
	fs.AddFlagSet(cmd.Flags)
	addKeyFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, opts, nil, fmt.Errorf("config: %w", err)
	}
	if cmd.Name == "" && fs.NArg() > 0 {
		return nil, opts, nil, fmt.Errorf("config: unexpected argument %q: every setting is a flag, --key value or --key=value (see --help)", fs.Arg(0))
	}
	cfg, err := load(fs, &opts)
	return cfg, opts, fs.Args(), err
}

// load reads the configuration whose flags fs has parsed.
func load(fs *pflag.FlagSet, opts *Options) (*Config, error) {
	v := viper.New()
	for key, value := range defaults() {
		v.SetDefault(key, value)
	}
	if err := readFile(v, opts.ConfigFile); err != nil {
		return nil, err
	}
	if used := v.ConfigFileUsed(); used != "" {
		opts.FileRead, _ = filepath.Abs(used)
	}
	if err := unknownKeys(v); err != nil {
		return nil, err
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for key := range defaults() {
		if err := v.BindPFlag(key, fs.Lookup(key)); err != nil {
			return nil, fmt.Errorf("config: binding flag --%s: %w", key, err)
		}
	}

	if err := bareDurations(v); err != nil {
		return nil, err
	}
	var cfg Config
	if err := v.UnmarshalExact(&cfg); err != nil {
		return nil, decodeError(v, err)
	}
	cfg.trimLists()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// addKeyFlags adds one flag per configuration key, named as the key.
func addKeyFlags(fs *pflag.FlagSet) {
	keys := make([]string, 0, len(defaults()))
	for key := range defaults() {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		usage := usage(key)
		switch d := defaults()[key].(type) {
		case string:
			fs.String(key, d, usage)
		case bool:
			fs.Bool(key, d, usage)
		case int:
			fs.Int64(key, int64(d), usage)
		case float64:
			fs.Float64(key, d, usage)
		case time.Duration:
			fs.Duration(key, d, usage)
		case []string:
			fs.StringSlice(key, d, usage)
		default:
			panic(fmt.Sprintf("config: no flag type for %s (%T)", key, d))
		}
	}
}

// trimLists drops the blanks around list entries, so that
// PUSHIO_IO_CORS_ORIGINS="https://a.example, https://b.example" means
// what it says, as it does for api.allow and io.trusted_proxies.
func (c *Config) trimLists() {
	for _, list := range [][]string{c.IO.CORSOrigins, c.IO.TrustedProxies, c.API.Allow} {
		for i, s := range list {
			list[i] = strings.TrimSpace(s)
		}
	}
}

// EnvName is the environment variable that sets key.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// readFile reads the named file, or ./config.yaml when none is named and
// it exists. A named file that is missing is an error.
func readFile(v *viper.Viper, name string) error {
	v.SetConfigType("yaml")
	if name != "" {
		v.SetConfigFile(name)
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("config: reading %s: %w", name, err)
		}
		return nil
	}
	v.SetConfigName("config")
	v.AddConfigPath(".")
	err := v.ReadInConfig()
	var notFound viper.ConfigFileNotFoundError
	if err != nil && !errors.As(err, &notFound) {
		return fmt.Errorf("config: reading ./config.yaml: %w", err)
	}
	return nil
}

// unknownKeys reports every key of the config file that pushio does not
// know, by its full name; a section (io) given a plain value is left to the
// decoder, which says what it wanted.
func unknownKeys(v *viper.Viper) error {
	known, sections := defaults(), sections()
	keys := v.AllKeys()
	sort.Strings(keys)
	var errs []error
	for _, key := range keys {
		if _, ok := known[key]; !ok && !sections[key] {
			errs = append(errs, fmt.Errorf("config: unknown key %s in %s", key, v.ConfigFileUsed()))
		}
	}
	return errors.Join(errs...)
}

// decodeError rewrites the decoder's complaints about values of the wrong
// type as Validate does: the key, the value and what was wanted.
func decodeError(v *viper.Viper, err error) error {
	var errs []error
	for _, e := range namedErrors(err) {
		errs = append(errs, describeDecodeError(v, e))
	}
	return errors.Join(errs...)
}

func describeDecodeError(v *viper.Viper, err error) error {
	if named, ok := err.(interface{ Name() string }); ok {
		key := named.Name()
		if def, known := defaults()[key]; known {
			value := v.Get(key)
			if strings.HasSuffix(key, ".secret") {
				value = "<hidden>" // a secret never appears in an error
			}
			return keyError(key, value, typeRule(def))
		}
		if sections()[key] {
			return keyError(key, v.Get(key), "want a section of keys, as in config.yaml")
		}
	}
	return fmt.Errorf("config: %w", err)
}

// sections are the names that group keys: io for io.addr.
func sections() map[string]bool {
	out := make(map[string]bool)
	for key := range defaults() {
		for i := range len(key) {
			if key[i] == '.' {
				out[key[:i]] = true
			}
		}
	}
	return out
}

// namedErrors flattens the decoder's error tree down to its errors that
// name a key (mapstructure's DecodeError, found by its Name method so that
// pushio need not import the decoder); others are kept as they are.
func namedErrors(err error) []error {
	if _, ok := err.(interface{ Name() string }); ok {
		return []error{err}
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		var out []error
		for _, e := range u.Unwrap() {
			out = append(out, namedErrors(e)...)
		}
		return out
	case interface{ Unwrap() error }:
		if inner := u.Unwrap(); inner != nil {
			return namedErrors(inner)
		}
	}
	return []error{err}
}

// typeRule says what a key with default def must hold.
func typeRule(def any) string {
	switch def.(type) {
	case bool:
		return "want true or false"
	case int:
		return "want a whole number"
	case float64:
		return "want a number"
	case time.Duration:
		return "want a duration, e.g. 10s or 1m30s"
	case []string:
		return "want a list of strings (comma-separated in the environment)"
	}
	return "want a string"
}
