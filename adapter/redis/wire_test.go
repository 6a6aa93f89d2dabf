package redis

import (
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
)

// flagged is wire options with flag name set to v, as another server's
// broadcast brings them: through the real encoder and decoder.
func flagged(t *testing.T, name string, v any) *wireOpts {
	t.Helper()
	b, err := encodeMsgpack(&wireOpts{Flags: map[string]any{name: v}})
	if err != nil {
		t.Fatal(err)
	}
	var w wireOpts
	if err := decodeMsgpack(b, &w); err != nil {
		t.Fatal(err)
	}
	return &w
}

// TestWireTTL: the ttl flag, written by any encoder in any width msgpack
// has (compact ints as a Node emitter writes them, floats, strings), is
// read as a positive number of milliseconds up to a day; anything else is
// no ttl.
func TestWireTTL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		flag any
		want time.Duration
	}{
		{int64(60000), time.Minute},
		{uint64(1500), 1500 * time.Millisecond},
		{int8(5), 5 * time.Millisecond},
		{uint16(300), 300 * time.Millisecond},
		{float64(2000), 2 * time.Second},
		{int64(0), 0},
		{int64(-5), 0},
		{uint64(1 << 63), 0},
		{int64(25 * time.Hour / time.Millisecond), 0},
		{"60000", 0},
		{nil, 0},
	} {
		if got := flagged(t, flagTTL, tc.flag).ttl(); got != tc.want {
			t.Errorf("ttl flag %T(%v) = %v, want %v", tc.flag, tc.flag, got, tc.want)
		}
	}
	if got := (*wireOpts)(nil).ttl(); got != 0 {
		t.Errorf("no opts: ttl %v", got)
	}
}

// TestWireRead: the read flag is a positive number of microseconds since
// the epoch in any width; anything else is no read time.
func TestWireRead(t *testing.T) {
	t.Parallel()
	at := time.UnixMicro(1_796_000_000_123_456)
	for _, tc := range []struct {
		flag any
		want time.Time
	}{
		{at.UnixMicro(), at},
		{uint64(at.UnixMicro()), at},
		{float64(at.UnixMicro()), at},
		{int64(0), time.Time{}},
		{int64(-1), time.Time{}},
		{uint64(1 << 63), time.Time{}},
		{"1796000000123456", time.Time{}},
		{nil, time.Time{}},
	} {
		if got := flagged(t, flagRead, tc.flag).read(); !got.Equal(tc.want) {
			t.Errorf("read flag %T(%v) = %v, want %v", tc.flag, tc.flag, got, tc.want)
		}
	}
	if got := (*wireOpts)(nil).read(); !got.IsZero() {
		t.Errorf("no opts: read %v", got)
	}
}

// wirePush is a targeted push as Send publishes it: one uid's room, the
// push's id and ttl, the event and its text.
func wirePush() (adapter.Packet, adapter.Selector) {
	return adapter.Packet{Type: 2, Data: []any{"new_msg", "hello from the benchmark"}, ID: "1733616000000-42",
			TTL: time.Minute, Read: time.UnixMicro(1_796_000_000_123_456)},
		adapter.Selector{Rooms: []string{"uid-12345"}}
}

func BenchmarkEncodeBroadcast(b *testing.B) {
	f := &Fanout{opts: FanoutOptions{UID: "server-a"}}
	p, sel := wirePush()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.encodeBroadcast(p, sel); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBroadcast(b *testing.B) {
	f := &Fanout{opts: FanoutOptions{UID: "server-a"}}
	msg, err := f.encodeBroadcast(wirePush())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var m wireMessage
		if err := decodeMsgpack(msg, &m); err != nil {
			b.Fatal(err)
		}
	}
}
