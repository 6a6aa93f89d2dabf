// Command pushio is a Socket.IO push server that replaces web-msg-sender:
// browsers connect to the io listener, backends publish through the API.
// Its commands token and sign print a login token and a signed API
// request, to try a secured deployment from a shell (commands.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/spf13/pflag"

	"github.com/pushio/pushio/internal/config"
)

func main() {
	// gin's mode is process-wide: the binary chooses it, not the API package.
	gin.SetMode(gin.ReleaseMode)
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pushio:", err)
		os.Exit(exitCode(err))
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if c, ok := findCommand(args); ok {
		return runCommand(c, args[1:], stdout, stderr)
	}
	cfg, opts, _, err := config.LoadCommand(args, stderr, config.Command{Usage: serverUsage})
	if errors.Is(err, pflag.ErrHelp) {
		return nil // -h or --help: the usage is printed already
	}
	if err != nil {
		return err
	}
	if opts.Version {
		fmt.Fprintln(stdout, versionLine())
		return nil
	}
	unknownEnv := config.UnknownEnv(os.Environ())
	if opts.CheckConfig {
		return checkConfig(opts, unknownEnv, stdout)
	}
	level := new(slog.LevelVar)
	_ = level.UnmarshalText([]byte(cfg.Log.Level)) // validated already
	log := newLogger(cfg.Log.Format, level, stderr)
	for _, name := range unknownEnv {
		log.Warn("environment variable ignored: "+config.EnvHint(name), "name", name)
	}

	// SIGINT/SIGTERM drain and stop; SIGHUP reloads what can be reloaded.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	p := &instance{cfg: cfg, log: log, level: level, load: func() (*config.Config, error) {
		c, _, err := config.Load(args, stderr)
		return c, err
	}}
	return p.serve(ctx, hup)
}

// checkConfig ends --check-config: unknown PUSHIO_ variables are errors
// there, and the answer names the file read, or says that none was.
func checkConfig(opts config.Options, unknownEnv []string, stdout io.Writer) error {
	var errs []error
	for _, name := range unknownEnv {
		errs = append(errs, fmt.Errorf("config: environment variable %s: %s", name, config.EnvHint(name)))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if opts.FileRead == "" {
		fmt.Fprintln(stdout, "config ok: no config file read (defaults, environment and flags)")
	} else {
		fmt.Fprintln(stdout, "config ok: read "+opts.FileRead)
	}
	return nil
}

// newLogger logs text or JSON lines to w; durations are written as Go
// prints them ("5s"), not as JSON's integer nanoseconds.
func newLogger(format string, level slog.Leveler, w io.Writer) *slog.Logger {
	o := &slog.HandlerOptions{Level: level, ReplaceAttr: durationText}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

func durationText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}
