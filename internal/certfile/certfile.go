// Package certfile serves a TLS certificate read from a certificate file
// and a key file, and reads them again on demand (pushio does on SIGHUP):
// handshakes after a reload get the new certificate, connections already
// open keep theirs.
package certfile

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync/atomic"
)

// Cert is the certificate a listener serves.
type Cert struct {
	cert atomic.Pointer[tls.Certificate]
}

// Load reads the pair, or says why it cannot.
func Load(certFile, keyFile string) (*Cert, error) {
	c := &Cert{}
	if err := c.Reload(certFile, keyFile); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the pair (the files may have new paths) and serves it from
// the next handshake on. On error the certificate served stays as it was.
func (c *Cert) Reload(certFile, keyFile string) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("tls: loading %s and %s: %w", certFile, keyFile, err)
	}
	c.cert.Store(&cert)
	return nil
}

// Leaf is the certificate served, parsed (for logs: subject, expiry).
func (c *Cert) Leaf() *x509.Certificate {
	return c.cert.Load().Leaf
}

// GetCertificate is for tls.Config.
func (c *Cert) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cert.Load(), nil
}

// Config is a server tls.Config serving c, TLS 1.2 at least.
func (c *Cert) Config() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.GetCertificate}
}
