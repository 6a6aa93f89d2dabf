package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pushio/pushio/internal/config"
	"github.com/pushio/pushio/pushapi"
	"github.com/pushio/pushio/server"
)

// A command is one of the binary's tools besides the server, selected by
// the first argument. It reads the configuration as the server does
// (config file, PUSHIO_* environment, --key=value flags) beside flags of
// its own.
type command struct {
	name, synopsis, summary string
	// flags adds the command's own flags to fs and returns what does the
	// work, given the configuration and the positional arguments.
	flags func(fs *pflag.FlagSet) func(cfg *config.Config, args []string, stdout io.Writer) error
}

var commands = []command{
	{
		name:     "token",
		synopsis: "--uid U [--ttl 1h] [--groups a,b]",
		summary:  "print a login JWT for uid, signed with auth.secret",
		flags:    tokenFlags,
	},
	{
		name:     "sign",
		synopsis: "[--method GET|POST] [--path /] 'type=publish&to=U&content=x'",
		summary:  "print the API request's fields signed with api.secret (api.signature)",
		flags:    signFlags,
	},
}

// commandError is a command refused: the binary exits with status 2.
type commandError struct{ err error }

func (e *commandError) Error() string { return e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

// exitCode is the status the binary exits with after err.
func exitCode(err error) int {
	var c *commandError
	if errors.As(err, &c) {
		return 2
	}
	return 1
}

// findCommand returns the command args start with.
func findCommand(args []string) (command, bool) {
	if len(args) == 0 {
		return command{}, false
	}
	for _, c := range commands {
		if args[0] == c.name {
			return c, true
		}
	}
	return command{}, false
}

// runCommand runs c with args (after its name); every failure is a
// commandError, named after c.
func runCommand(c command, args []string, stdout, stderr io.Writer) error {
	own := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	do := c.flags(own)
	cfg, _, rest, err := config.LoadCommand(args, stderr, config.Command{
		Name: c.name, Flags: own, Usage: func(w io.Writer, all *pflag.FlagSet) { c.usage(w, own, all) },
	})
	if errors.Is(err, pflag.ErrHelp) {
		return nil
	}
	if err == nil {
		for _, name := range config.UnknownEnv(os.Environ()) {
			fmt.Fprintf(stderr, "pushio %s: environment variable %s ignored: %s\n", c.name, name, config.EnvHint(name))
		}
		err = do(cfg, rest, stdout)
	}
	if err != nil {
		return &commandError{fmt.Errorf("%s: %w", c.name, err)}
	}
	return nil
}

// usage is what pushio COMMAND --help prints: the command's own flags and
// --config of all, not every configuration key.
func (c command) usage(w io.Writer, own, all *pflag.FlagSet) {
	shown := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	shown.AddFlagSet(own)
	shown.AddFlag(all.Lookup("config"))
	fmt.Fprintf(w, "Usage: pushio %s %s\n\n%s.\n\nFlags:\n%s", c.name, c.synopsis, capitalize(c.summary), shown.FlagUsages())
	fmt.Fprintln(w, "\nThe configuration is read as the server reads it: the config file, PUSHIO_*")
	fmt.Fprintln(w, "variables and --key=value flags (pushio --help lists the keys).")
}

// serverUsage is what pushio --help prints: the commands, then every flag.
func serverUsage(w io.Writer, all *pflag.FlagSet) {
	fmt.Fprint(w, "Usage:\n  pushio [flags]\n        serve the Socket.IO listener and the publish API\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  pushio %s %s\n        %s\n", c.name, c.synopsis, c.summary)
	}
	fmt.Fprintf(w, "\nEach command reads the configuration as the server does; pushio COMMAND --help\nlists its flags.\n\nFlags:\n%s", all.FlagUsages())
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func tokenFlags(fs *pflag.FlagSet) func(*config.Config, []string, io.Writer) error {
	uid := fs.String("uid", "", "the uid the token logs in (its sub claim); required")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid (its exp claim), e.g. 15m or 24h")
	groups := fs.StringSlice("groups", nil, "groups claim, comma-separated, e.g. a,b")
	return func(cfg *config.Config, args []string, stdout io.Writer) error {
		if len(args) > 0 {
			return fmt.Errorf("unexpected argument %q: the uid is given with --uid", args[0])
		}
		if *uid == "" {
			return errors.New("--uid is required")
		}
		if cfg.Auth.Secret == "" {
			return errors.New("auth.secret is not set, so logins need no token: give it as PUSHIO_AUTH_SECRET, --auth.secret or in the config file")
		}
		for i, g := range *groups {
			(*groups)[i] = strings.TrimSpace(g)
		}
		tok, err := server.NewLoginToken(cfg.Auth.Secret, *uid, *groups, *ttl, time.Now())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, tok)
		return err
	}
}

func signFlags(fs *pflag.FlagSet) func(*config.Config, []string, io.Writer) error {
	method := fs.String("method", "GET", "the request's method: GET (send the result as the URL's query) or POST (as an urlencoded body)")
	path := fs.String("path", "/", "the URL's path the request is sent to")
	return func(cfg *config.Config, args []string, stdout io.Writer) error {
		switch {
		case len(args) == 0:
			return errors.New("no request given, e.g. pushio sign 'type=publish&to=U&content=x'")
		case len(args) > 1:
			return fmt.Errorf("unexpected argument %q: give the request as one argument, quoted", args[1])
		case cfg.API.Secret == "":
			return errors.New("api.secret is not set, so the API needs no signature: give it as PUSHIO_API_SECRET, --api.secret or in the config file")
		case !cfg.API.Signature:
			return errors.New("api.signature is off, so the API wants api.secret itself and refuses signatures: sign for an instance with api.signature: true (PUSHIO_API_SIGNATURE=true, --api.signature)")
		}
		q, err := pushapi.SignQuery(cfg.API.Secret, *method, *path, args[0], nonce(), time.Now())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, q)
		return err
	}
}

// nonce is a random auth_nonce: two alike requests signed in one second
// are two requests.
func nonce() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
