package main

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/harness"
)

// TestConsumeEvents: an event stream's events, whole or cut anywhere,
// reach the client once each, multi-line data joined, comments and
// retry:/id: lines skipped; a welcome does not log an sse page in again.
func TestConsumeEvents(t *testing.T) {
	stream := "retry: 3000\n\nevent: welcome\ndata: {\"client\":\"x\"}\n\n: ping\n\n" +
		"id: 1\nevent: update_online_count\ndata: counts\n\nid: 2\nevent: new_msg\ndata: b.0.1.5\n\n" +
		"id: 3\nevent: new_msg\ndata: line 1\ndata: line 2\n\n"
	want := []string{"b.0.1.5", "line 1\nline 2"}
	for _, cut := range []int{0, 1, 5, 13, 40, 60, 90, len(stream) - 1} {
		var got []string
		logins := 0
		c := &client{state: stLogging, loggedIn: func() { logins++ },
			newMsg: func(content []byte, _ time.Time, _ *int) { got = append(got, string(content)) }}
		tr := &wsTransport{c: c, events: true}
		for _, part := range []string{stream[:cut], stream[cut:]} {
			tr.buf = append(tr.buf, part...)
			if err := tr.consume(); err != nil {
				t.Fatalf("cut at %d: %v", cut, err)
			}
		}
		if !slices.Equal(got, want) || logins != 1 || c.state != stReady || len(tr.buf) != 0 {
			t.Errorf("cut at %d: got %q, %d logins, state %d, %d bytes left; want %q, 1, ready, 0",
				cut, got, logins, c.state, len(tr.buf), want)
		}
	}
}

// TestHandlePlainFrame: a ws page logs in on its welcome, is ready at its
// first counts, takes pushes' data unquoted, and fails on a refused login
// or a frame that is not an event.
func TestHandlePlainFrame(t *testing.T) {
	var sent, got []string
	c := &client{uid: "u7", plain: true, loggedIn: func() {},
		newMsg: func(content []byte, _ time.Time, _ *int) { got = append(got, string(content)) }}
	c.t = sendFunc(func(p []byte) error { sent = append(sent, string(p)); return nil })
	for _, f := range []string{
		`{"data":{"client":"abc"},"event":"welcome"}`, // as pushio writes it
		`{"event":"update_online_count","data":"counts"}`,
		`{"event":"new_msg","data":"b.0.1.5"}`,
		`{"event":"new_msg","data":{"json":true}}`,
		`{"event":"pong","data":null}`,
	} {
		if err := c.handle([]byte(f)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if !slices.Equal(sent, []string{`{"event":"login","data":"u7"}`}) || c.state != stReady ||
		!slices.Equal(got, []string{"b.0.1.5", `{"json":true}`}) {
		t.Errorf("sent %q, state %d, got %q", sent, c.state, got)
	}
	for _, f := range []string{`{"event":"login_error","data":"bad token"}`, `42["new_msg","x"]`, `{"data":1}`, `{"event":`} {
		if err := c.handle([]byte(f)); err == nil {
			t.Errorf("%s: no error", f)
		}
	}
}

// sendFunc is a transport that only sends.
type sendFunc func([]byte) error

func (f sendFunc) send(p []byte) error           { return f(p) }
func (sendFunc) Close() error                    { return nil }
func (sendFunc) SetReadDeadline(time.Time) error { return nil }
func (sendFunc) serve(*client) error             { return nil }

// TestPlainTransports runs a tiny load of each kind of page without
// Socket.IO, and of the mix, against the built pushio binary: every page
// logs in, gets every broadcast once and its targeted pushes, the
// server is sampled at the count of pages, and the result names the
// transport. A functional check, not a measurement.
func TestPlainTransports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts pushio: skipped with -short")
	}
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin, err := harness.Build(ctx, root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const n, k = 30, 3
	for _, kind := range []string{kindWS, kindSSE, kindMix} {
		t.Run(kind, func(t *testing.T) {
			p := harness.StartT(t, bin, harness.Options{Args: []string{"--counts.interval", "200ms"}})
			r := runBench(ctx, t, "-io", p.IOAddr, "-api", p.APIAddr, "-transport", kind, "-n", strconv.Itoa(n),
				"-pid", strconv.Itoa(p.PID()), "-settle", "0s", "-k", strconv.Itoa(k), "-c", "2", "-duration", "500ms",
				"connect", "broadcast", "targeted")
			if r.Transport != kind {
				t.Errorf("transport %q, want %q", r.Transport, kind)
			}
			if c := r.Connect; c.OK != n || c.Failed != 0 || c.Dropped != 0 {
				t.Errorf("connect: %+v, want %d logged in, none failed or dropped", c, n)
			}
			if r.Server == nil || len(r.Server.Samples) != 1 || r.Server.Samples[0].Online != n || r.Server.Samples[0].RSSKB <= 0 {
				t.Errorf("server samples: %+v, want one at %d pages with the RSS", r.Server, n)
			}
			if b := r.Broadcast; b == nil || b.Sent != k || b.Delivered != k*n || b.Lost != 0 || b.Dups != 0 || len(b.LastMs) != k {
				t.Errorf("broadcast: %+v, want %d×%d delivered once each", b, k, n)
			}
			if tg := r.Targeted; tg == nil || tg.Requests == 0 || tg.OK != tg.Requests || tg.Delivered != tg.OK || tg.Lost != 0 {
				t.Errorf("targeted: %+v, want every publish ok and delivered", tg)
			}
			if r.Foreign != 0 || len(r.Errors) != 0 {
				t.Errorf("foreign %d, errors %q", r.Foreign, r.Errors)
			}
		})
	}
}
