package main

import (
	"slices"

	"github.com/pushio/pushio/internal/certfile"
	"github.com/pushio/pushio/internal/config"
	"github.com/pushio/pushio/pushapi"
)

// reloader applies some keys of a new configuration to the running
// instance and copies them into p.cfg; keys are what it owns. It reports
// whether the keys now serve (a TLS file that cannot be read keeps the old
// certificate, and its keys wait for a restart). A key owned by no
// reloader is logged as waiting for a restart.
type reloader struct {
	keys  []string
	apply func(p *instance, next *config.Config, access pushapi.Access) bool
}

// reloaders are what SIGHUP changes while clients stay connected, each
// with the keys it owns: the one list of what is reloadable. README
// ("Graceful drain and reload") names the same keys; reload_test checks
// that each is a config key named there.
var reloaders = []reloader{
	{[]string{"log.level"}, func(p *instance, next *config.Config, _ pushapi.Access) bool {
		_ = p.level.UnmarshalText([]byte(next.Log.Level)) // validated
		p.cfg.Log.Level = next.Log.Level
		return true
	}},
	{[]string{"auth.secret"}, func(p *instance, next *config.Config, _ pushapi.Access) bool {
		p.srv.SetAuthSecret(next.Auth.Secret)
		p.cfg.Auth.Secret = next.Auth.Secret
		return true
	}},
	{[]string{"io.drain_window"}, func(p *instance, next *config.Config, _ pushapi.Access) bool {
		p.cfg.IO.DrainWindow = next.IO.DrainWindow
		return true
	}},
	{[]string{"api.secret", "api.signature", "api.signature_window", "api.allow", "api.rate_limit", "api.rate_burst"},
		func(p *instance, next *config.Config, access pushapi.Access) bool {
			p.api.SetAccess(access)
			p.srv.SetDemoAPIAuth(demoAPIAuth(access))
			p.cfg.API.Secret, p.cfg.API.Signature, p.cfg.API.SignatureWindow = next.API.Secret, next.API.Signature, next.API.SignatureWindow
			p.cfg.API.Allow, p.cfg.API.RateLimit, p.cfg.API.RateBurst = next.API.Allow, next.API.RateLimit, next.API.RateBurst
			return true
		}},
	// Certificates are read again even when their paths did not change (a
	// renewed certificate keeps them), but only on a listener that serves
	// TLS already: turning TLS on or off needs a restart.
	{[]string{"io.tls_cert", "io.tls_key"}, func(p *instance, next *config.Config, _ pushapi.Access) bool {
		if p.ioCert == nil || next.IO.TLSCert == "" || !p.reloadCert("io", p.ioCert, next.IO.TLSCert, next.IO.TLSKey) {
			return false
		}
		p.cfg.IO.TLSCert, p.cfg.IO.TLSKey = next.IO.TLSCert, next.IO.TLSKey
		return true
	}},
	{[]string{"api.tls_cert", "api.tls_key"}, func(p *instance, next *config.Config, _ pushapi.Access) bool {
		if p.apiCert == nil || next.API.TLSCert == "" || !p.reloadCert("api", p.apiCert, next.API.TLSCert, next.API.TLSKey) {
			return false
		}
		p.cfg.API.TLSCert, p.cfg.API.TLSKey = next.API.TLSCert, next.API.TLSKey
		return true
	}},
}

// reload reads the configuration again and runs every reloader. Clients
// stay connected. A configuration that does not validate changes nothing.
// Only key names are logged, never a secret.
func (p *instance) reload() {
	next, err := p.load()
	var access pushapi.Access
	if err == nil {
		access, err = apiAccess(next)
	}
	if err != nil {
		p.log.Error("reload refused: nothing changed", "err", err)
		return
	}
	changed := config.Changed(p.cfg, next)
	var applied, restart []string
	owned := map[string]bool{}
	for _, r := range reloaders {
		ok := r.apply(p, next, access)
		for _, key := range r.keys {
			owned[key] = true
			if !slices.Contains(changed, key) {
				continue
			}
			if ok {
				applied = append(applied, key)
			} else {
				restart = append(restart, key)
			}
		}
	}
	for _, key := range changed {
		if !owned[key] {
			restart = append(restart, key)
		}
	}
	slices.Sort(applied)
	slices.Sort(restart)
	p.log.Info("reloaded", "changed", applied, "needs_restart", restart)
	warnOpenAPI(p.cfg, p.log)
}

// reloadCert reads a listener's certificate files again and reports
// whether it serves them now.
func (p *instance) reloadCert(name string, cert *certfile.Cert, certFile, keyFile string) bool {
	if err := cert.Reload(certFile, keyFile); err != nil {
		p.log.Error("reload: keeping the old "+name+" certificate", "err", err)
		return false
	}
	leaf := cert.Leaf()
	p.log.Info("reload: "+name+" certificate read", "subject", leaf.Subject.String(),
		"not_after", leaf.NotAfter, "serial", leaf.SerialNumber.Text(16))
	return true
}
