package certfile

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/pushio/pushio/internal/test/testcert"
)

func TestReload(t *testing.T) {
	dir := t.TempDir()
	a := testcert.Write(t, dir, "a")
	c, err := Load(a.CertFile, a.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", c.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func(conn net.Conn) {
				_ = conn.(*tls.Conn).Handshake()
				_ = conn.Close()
			}(conn)
		}
	}()
	if cn, err := testcert.ServedName(ln.Addr().String(), a.Pool); err != nil || cn != "a" {
		t.Fatalf("before reload: %q %v", cn, err)
	}

	b := testcert.Write(t, dir, "b")
	if err := c.Reload(b.CertFile, b.KeyFile); err != nil {
		t.Fatal(err)
	}
	if cn, err := testcert.ServedName(ln.Addr().String(), b.Pool); err != nil || cn != "b" {
		t.Fatalf("after reload: %q %v", cn, err)
	}
	if c.Leaf().Subject.CommonName != "b" {
		t.Fatalf("Leaf is %q", c.Leaf().Subject.CommonName)
	}

	if err := c.Reload(b.CertFile, a.KeyFile); err == nil {
		t.Fatal("a mismatched pair reloaded")
	}
	if cn, err := testcert.ServedName(ln.Addr().String(), b.Pool); err != nil || cn != "b" {
		t.Fatalf("after a failed reload: %q %v", cn, err)
	}
}
