package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/pushio/pushio/internal/certfile"
	"github.com/pushio/pushio/internal/config"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/plain"
	"github.com/pushio/pushio/pushapi"
	"github.com/pushio/pushio/server"
)

// instance is one running pushio: its parts and the configuration they
// run with, which SIGHUP may partly change.
type instance struct {
	cfg   *config.Config
	log   *slog.Logger
	level *slog.LevelVar
	// load reads the configuration again (file, environment, flags).
	load func() (*config.Config, error)

	srv             *server.Server
	api             *pushapi.Handler
	ioCert, apiCert *certfile.Cert // nil without TLS
}

// errDraining is what /readyz says from SIGTERM on.
var errDraining = errors.New("draining")

// serve runs both listeners until ctx ends, reloading on every hup, then
// drains and stops within cfg.ShutdownTimeout.
func (p *instance) serve(ctx context.Context, hup <-chan os.Signal) error {
	cfg, log := p.cfg, p.log
	access, err := apiAccess(cfg)
	if err != nil {
		return err
	}
	if p.ioCert, err = loadCert(cfg.IO.TLSCert, cfg.IO.TLSKey); err != nil {
		return fmt.Errorf("io: %w", err)
	}
	if p.apiCert, err = loadCert(cfg.API.TLSCert, cfg.API.TLSKey); err != nil {
		return fmt.Errorf("api: %w", err)
	}
	m := metrics.New(version)
	cl, err := newCluster(ctx, cfg, m, log)
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
	p.srv, err = server.New(server.Options{
		SocketIO:       cfg.IO.SocketIO,
		Connection:     cfg.IO.Connection,
		Limits:         cfg.IO.Limits,
		TrustedProxies: cfg.IO.TrustedPrefixes(),
		Wires:          cfg.IO.Wires,
		Counts:         cfg.Counts,
		Groups:         cfg.Groups,
		Recovery:       server.RecoveryOptions{Recovery: cfg.Recovery, Store: cl.store},
		CallTimeout:    cfg.Redis.Timeout,
		BodyTimeout:    cfg.API.ReadTimeout,
		AuthSecret:     cfg.Auth.Secret,
		DemoAPIPort:    port(apiLn.Addr().String()),
		DemoAPIAuth:    demoAPIAuth(access),
		Fanout:         cl.fanout,
		Metrics:        m,
	}, cl.presence, log)
	if err != nil {
		_ = ioLn.Close()
		_ = apiLn.Close()
		cl.close(context.Background())
		return err
	}
	wire, err := plain.New(p.srv, plain.Options{Wires: cfg.IO.Wires, Connection: cfg.IO.Connection, Metrics: m}, log)
	if err != nil {
		_ = p.srv.Close(context.Background())
		_ = ioLn.Close()
		_ = apiLn.Close()
		cl.close(context.Background())
		return err
	}
	p.api = pushapi.New(p.srv, pushapi.Options{
		Requests:    cfg.API.Requests,
		Hold:        cfg.Hold.Hold,
		CallTimeout: cfg.Redis.Timeout,
		Ready: func(ctx context.Context) error {
			if p.srv.Draining() {
				return errDraining
			}
			return cl.ready(ctx)
		},
		Access:  access,
		Metrics: m,
	}, log)

	ioHTTP := &http.Server{
		Handler:           p.srv.Handler(),
		ReadHeaderTimeout: cfg.API.HeaderTimeout,
		IdleTimeout:       cfg.API.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	apiHTTP := &http.Server{
		Handler:           p.api,
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
	if p.ioCert == nil {
		// Long polls then wait without a goroutine (engine/park.go); under
		// TLS they wait on their request's, as net/http serves TLS itself.
		ioLn = p.srv.Listener(ioLn)
	}
	go func() { errc <- serveHTTP(ioHTTP, ioLn, p.ioCert, "io") }()
	go func() { errc <- serveHTTP(apiHTTP, apiLn, p.apiCert, "api") }()

	log.Info("pushio started", "version", version, "io_addr", ioLn.Addr().String(),
		"api_addr", apiLn.Addr().String(), "io_tls", p.ioCert != nil, "api_tls", p.apiCert != nil,
		"adapter", cl.name, "instance", cl.instance)
	warnOpen(cfg, log)

	var runErr error
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-hup:
			p.reload()
		case runErr = <-errc:
			break wait
		}
	}
	p.shutdown(runErr == nil, func(ctx context.Context) {
		_ = apiHTTP.Shutdown(ctx)
		_ = p.srv.Close(ctx)
		wire.Close()
		_ = ioHTTP.Shutdown(ctx)
		cl.close(ctx)
	})
	return runErr
}

// loadCert loads a listener's certificate; nil without TLS.
func loadCert(certFile, keyFile string) (*certfile.Cert, error) {
	if certFile == "" {
		return nil, nil
	}
	return certfile.Load(certFile, keyFile)
}

func serveHTTP(s *http.Server, ln net.Listener, cert *certfile.Cert, name string) error {
	var err error
	if cert != nil {
		s.TLSConfig = cert.Config()
		err = s.ServeTLS(ln, "", "")
	} else {
		err = s.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: serving: %w", name, err)
	}
	return nil
}

// apiAccess is the publish API's access in cfg.
func apiAccess(cfg *config.Config) (pushapi.Access, error) {
	allow, err := cfg.API.AllowPrefixes()
	if err != nil {
		return pushapi.Access{}, err
	}
	return pushapi.Access{
		Secret:          cfg.API.Secret,
		Signature:       cfg.API.Signature,
		SignatureWindow: cfg.API.SignatureWindow,
		Allow:           allow,
		RateLimit:       float64(cfg.API.RateLimit),
		RateBurst:       cfg.API.RateBurst,
	}, nil
}

// demoAPIAuth is what the demo page may know of the API's access: only
// whether a secret or a signature is needed.
func demoAPIAuth(a pushapi.Access) server.APIAuth {
	return server.APIAuth{Secret: a.Secret != "", Signature: a.Secret != "" && a.Signature}
}

// warnOpen logs a warning for every setting that leaves pushio open.
func warnOpen(cfg *config.Config, log *slog.Logger) {
	warnOpenAPI(cfg, log)
	if cfg.Auth.Secret == "" {
		log.Warn("logins are not signed: any page can log in as any uid and read its messages; set auth.secret (PUSHIO_AUTH_SECRET), and auth.required: true to make it a start-up error")
	}
	for _, o := range cfg.IO.CORSOrigins {
		if o == "*" {
			log.Warn("io.cors_origins allows every origin: any web page can connect; list your sites' origins")
		}
	}
}

// warnOpenAPI warns when anyone who reaches the publish API may push.
func warnOpenAPI(cfg *config.Config, log *slog.Logger) {
	if cfg.API.Secret == "" && !isLoopback(cfg.API.Addr) {
		log.Warn("publish API has no secret and listens beyond loopback: anyone who reaches it can push to anyone; set api.secret (PUSHIO_API_SECRET) or api.allow, or listen on 127.0.0.1",
			"api_addr", cfg.API.Addr, "api_allow", cfg.API.Allow)
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
