package wsconn

import (
	"net"
	"testing"
	"time"
)

func TestWatch(t *testing.T) {
	p, err := NewPoller(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pair := func() (server, client net.Conn) {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close(); _ = s.Close() })
		return s, c
	}
	tests := []struct {
		name   string
		client func(net.Conn)
		fires  bool
	}{
		{"the client hangs up", func(c net.Conn) { _ = c.Close() }, true},
		{"the client sends", func(c net.Conn) { _, _ = c.Write([]byte("x")) }, true},
		{"the client waits", func(net.Conn) {}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := pair()
			fired := make(chan struct{})
			stop, err := p.Watch(s, func() { close(fired) })
			if err != nil {
				t.Fatal(err)
			}
			tt.client(c)
			select {
			case <-fired:
				if !tt.fires {
					t.Fatal("fired with nothing to read")
				}
				if stop() {
					t.Error("stop after the call said it came first")
				}
			case <-time.After(300 * time.Millisecond):
				if tt.fires {
					t.Fatal("not called within 300 ms")
				}
				if !stop() {
					t.Error("stop before any event said it came too late")
				}
			}
		})
	}
	if _, err := p.Watch(&net.UnixConn{}, func() {}); err == nil {
		t.Error("watching a connection that is not TCP did not fail")
	}
}
