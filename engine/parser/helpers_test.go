package parser

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// text, bin and ping build packets for the tables.
func text(s string) Packet { return Packet{Type: Message, Data: []byte(s)} }
func bin(b ...byte) Packet { return Packet{Type: Message, Data: b, Binary: true} }
func ping(s string) Packet { return Packet{Type: Ping, Data: []byte(s)} }
func typed(t Type) Packet  { return Packet{Type: t} }
func (p Packet) String() string {
	return fmt.Sprintf("{%v %q binary=%v}", p.Type, p.Data, p.Binary)
}

func samePacket(a, b Packet) bool {
	return a.Type == b.Type && a.Binary == b.Binary && bytes.Equal(a.Data, b.Data)
}

func samePackets(a, b []Packet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !samePacket(a[i], b[i]) {
			return false
		}
	}
	return true
}

// checkErr fails t unless err wraps want (nil: no error).
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error = %v, want one wrapping %v", err, want)
	}
}
