package main

import (
	"slices"
	"strings"

	"github.com/pushio/pushio/internal/certfile"
	"github.com/pushio/pushio/internal/config"
	"github.com/pushio/pushio/pushapi"
)

// reloadable are the keys SIGHUP applies to a running instance; a change
// to any other key is logged as waiting for a restart, and so is turning
// TLS on or off. README ("Graceful drain and reload") lists them too.
var reloadable = []string{
	"log.level", "auth.secret", "io.drain_window",
	"io.tls_cert", "io.tls_key", "api.tls_cert", "api.tls_key",
	"api.secret", "api.signature", "api.signature_window", "api.allow",
	"api.rate_limit", "api.rate_burst",
}

// reload reads the configuration again and applies the reloadable keys;
// the TLS files are read again even when their paths did not change (a
// renewed certificate keeps them). Clients stay connected. A
// configuration that does not validate changes nothing. Only key names
// are logged, never a secret.
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
	tlsOn := map[string]bool{
		"io":  p.ioCert != nil && next.IO.TLSCert != "",
		"api": p.apiCert != nil && next.API.TLSCert != "",
	}
	var applied, restart []string
	for _, key := range config.Changed(p.cfg, next) {
		listener, isTLS := strings.CutSuffix(key, ".tls_cert")
		if !isTLS {
			listener, isTLS = strings.CutSuffix(key, ".tls_key")
		}
		if slices.Contains(reloadable, key) && (!isTLS || tlsOn[listener]) {
			applied = append(applied, key)
		} else {
			restart = append(restart, key)
		}
	}
	_ = p.level.UnmarshalText([]byte(next.Log.Level)) // validated
	p.cfg.Log.Level = next.Log.Level
	p.srv.SetAuthSecret(next.Auth.Secret)
	p.cfg.Auth.Secret = next.Auth.Secret
	p.cfg.IO.DrainWindow = next.IO.DrainWindow
	p.api.SetAccess(access)
	p.srv.SetDemoAPIAuth(demoAPIAuth(access))
	p.cfg.API.Secret, p.cfg.API.Signature, p.cfg.API.SignatureWindow = next.API.Secret, next.API.Signature, next.API.SignatureWindow
	p.cfg.API.Allow, p.cfg.API.RateLimit, p.cfg.API.RateBurst = next.API.Allow, next.API.RateLimit, next.API.RateBurst
	if tlsOn["io"] && p.reloadCert("io", p.ioCert, next.IO.TLSCert, next.IO.TLSKey) {
		p.cfg.IO.TLSCert, p.cfg.IO.TLSKey = next.IO.TLSCert, next.IO.TLSKey
	}
	if tlsOn["api"] && p.reloadCert("api", p.apiCert, next.API.TLSCert, next.API.TLSKey) {
		p.cfg.API.TLSCert, p.cfg.API.TLSKey = next.API.TLSCert, next.API.TLSKey
	}
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
