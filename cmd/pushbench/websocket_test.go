package main

import (
	"bytes"
	"testing"
)

func TestParseFrame(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 300)
	tests := []struct {
		name    string
		in      []byte
		op      byte
		payload []byte
		n       int
		err     bool
	}{
		{"empty", nil, 0, nil, 0, false},
		{"one byte", []byte{0x81}, 0, nil, 0, false},
		{"short text", []byte{0x81, 2, '4', '2', 'x'}, 1, []byte("42"), 4, false},
		{"text cut short", []byte{0x81, 5, '4', '2'}, 0, nil, 0, false},
		{"16-bit length", append([]byte{0x81, 126, 1, 44}, long...), 1, long, 304, false},
		{"16-bit length cut in its header", []byte{0x81, 126, 1}, 0, nil, 0, false},
		{"ping", []byte{0x89, 0}, 9, []byte{}, 2, false},
		{"64-bit length over the bound", []byte{0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0}, 0, nil, 0, true},
		{"64-bit length cut in its header", []byte{0x82, 127, 0, 0}, 0, nil, 0, false},
	}
	for _, tt := range tests {
		op, payload, n, err := parseFrame(tt.in)
		if (err != nil) != tt.err || op != tt.op || n != tt.n || !bytes.Equal(payload, tt.payload) {
			t.Errorf("%s: parseFrame = %d, %q, %d, %v; want %d, %q, %d, error %v",
				tt.name, op, payload, n, err, tt.op, tt.payload, tt.n, tt.err)
		}
	}
}
