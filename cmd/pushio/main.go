// Command pushio is a Socket.IO push server that replaces web-msg-sender:
// browsers connect to the io listener, backends publish through the API.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/pushio/pushio/internal/config"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/pushapi"
	"github.com/pushio/pushio/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pushio:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg, opts, err := config.Load(args, stderr)
	if err != nil {
		return err
	}
	if opts.Version {
		fmt.Fprintln(stdout, "pushio", version)
		return nil
	}
	if opts.CheckConfig {
		fmt.Fprintln(stdout, "config ok")
		return nil
	}
	log := newLogger(cfg.Log, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, log)
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated already
	o := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

// serve runs both listeners until ctx ends, then drains within
// cfg.ShutdownTimeout.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	allow, err := cfg.API.AllowPrefixes()
	if err != nil {
		return err
	}
	m := metrics.New(version)
	cl, err := newCluster(ctx, cfg, log)
	if err != nil {
		return err
	}
	ioLn, err := net.Listen("tcp", cfg.IO.Addr)
	if err != nil {
		cl.close(context.Background())
		return fmt.Errorf("io: listen on %s: %w (is io.addr right, or the port taken?)", cfg.IO.Addr, err)
	}
	apiLn, err := net.Listen("tcp", cfg.API.Addr)
	if err != nil {
		_ = ioLn.Close()
		cl.close(context.Background())
		return fmt.Errorf("api: listen on %s: %w (is api.addr right, or the port taken?)", cfg.API.Addr, err)
	}
	srv := server.New(server.Options{
		Path:           cfg.IO.Path,
		CORSOrigins:    cfg.IO.CORSOrigins,
		PingInterval:   cfg.IO.PingInterval,
		PingTimeout:    cfg.IO.PingTimeout,
		MaxPayload:     cfg.IO.MaxPayload,
		CountsInterval: cfg.Counts.Interval,
		CallTimeout:    cfg.Redis.Timeout,
		Demo:           cfg.IO.Demo,
		DemoAPIPort:    port(apiLn.Addr().String()),
		Adapter:        cl.fanout,
		Metrics:        m,
	}, cl.presence, log)
	api := pushapi.New(srv, pushapi.Options{
		MaxBody:     cfg.API.MaxBody,
		MaxURL:      cfg.API.MaxURL,
		CallTimeout: cfg.Redis.Timeout,
		Ready:       cl.ready,

		Secret:          cfg.API.Secret,
		Signature:       cfg.API.Signature,
		SignatureWindow: cfg.API.SignatureWindow,
		Allow:           allow,
		RateLimit:       float64(cfg.API.RateLimit),
		RateBurst:       cfg.API.RateBurst,
		Metrics:         m,
	}, log)

	ioHTTP := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: cfg.API.HeaderTimeout,
		IdleTimeout:       cfg.API.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	apiHTTP := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: cfg.API.HeaderTimeout,
		ReadTimeout:       cfg.API.ReadTimeout,
		WriteTimeout:      cfg.API.WriteTimeout,
		IdleTimeout:       cfg.API.IdleTimeout,
		// Room for the longest URL pushio accepts, so that a longer one
		// reaches the API and gets 413 + fail rather than a bare 431.
		MaxHeaderBytes: cfg.API.MaxURL + 64<<10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 2)
	go func() { errc <- serveHTTP(ioHTTP, ioLn, "io") }()
	go func() { errc <- serveHTTP(apiHTTP, apiLn, "api") }()

	log.Info("pushio started", "version", version, "io_addr", ioLn.Addr().String(),
		"api_addr", apiLn.Addr().String(), "adapter", cl.name, "instance", cl.instance)
	warnOpen(cfg, log)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	case runErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	_ = apiHTTP.Shutdown(sctx)
	_ = srv.Close(sctx)
	_ = ioHTTP.Shutdown(sctx)
	cl.close(sctx)
	log.Info("stopped")
	return runErr
}

func serveHTTP(s *http.Server, ln net.Listener, name string) error {
	if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: serving: %w", name, err)
	}
	return nil
}

// warnOpen logs a warning for every setting that leaves pushio open.
func warnOpen(cfg *config.Config, log *slog.Logger) {
	if cfg.API.Secret == "" && !isLoopback(cfg.API.Addr) {
		log.Warn("publish API has no secret and listens beyond loopback: anyone who reaches it can push to anyone; set api.secret (PUSHIO_API_SECRET) or api.allow, or listen on 127.0.0.1",
			"api_addr", cfg.API.Addr, "api_allow", cfg.API.Allow)
	}
	for _, o := range cfg.IO.CORSOrigins {
		if o == "*" {
			log.Warn("io.cors_origins allows every origin: any web page can connect; list your sites' origins")
		}
	}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
