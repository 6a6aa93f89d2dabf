package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/pushapi"
	"github.com/pushio/pushio/server"
)

// startPushio runs pushio's server and API in this process on free
// loopback ports and returns their addresses.
func startPushio(t *testing.T) (ioAddr, apiAddr string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("PUSHBENCH_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	srv, err := server.New(server.Options{SocketIO: settings.SocketIO{Path: "/socket.io"}}, memory.New(), log)
	if err != nil {
		t.Fatal(err)
	}
	ioSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	apiSrv := &http.Server{Handler: pushapi.New(srv, pushapi.Options{}, log), ReadHeaderTimeout: 5 * time.Second}
	ioAddr, apiAddr = serve(t, ioSrv), serve(t, apiSrv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = apiSrv.Shutdown(ctx)
		_ = srv.Close(ctx)
		_ = ioSrv.Shutdown(ctx)
	})
	return ioAddr, apiAddr
}

func serve(t *testing.T, s *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	return ln.Addr().String()
}

// runBench runs pushbench with args and returns its parsed result.
func runBench(ctx context.Context, t *testing.T, args ...string) *result {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(ctx, args, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("pushbench %v: %v\n%s", args, err, errOut.String())
	}
	if errOut.Len() == 0 {
		t.Error("no human summary on stderr")
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("pushbench %v: output %q is not one JSON result: %v", args, out.String(), err)
	}
	return &r
}

func TestScenarios(t *testing.T) {
	ioAddr, apiAddr := startPushio(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 50
	r := runBench(ctx, t, "-io", ioAddr, "-api", apiAddr, "-n", "50", "-steps", "20", "-pid", strconv.Itoa(os.Getpid()),
		"-settle", "0s", "-idle", "100ms", "-k", "3", "-c", "4", "-duration", "1s", "-label", "pushio",
		"connect", "broadcast", "targeted")

	if r.Label != "pushio" || r.Scenario != "connect,broadcast,targeted" || r.Clients != n {
		t.Errorf("label %q, scenario %q, clients %d", r.Label, r.Scenario, r.Clients)
	}
	if c := r.Connect; c.OK != n || c.Failed != 0 || c.Dropped != 0 || c.P50Ms <= 0 || c.P99Ms < c.P50Ms {
		t.Errorf("connect: %+v, want %d logged in, none failed, sane percentiles", c, n)
	}
	if r.Server == nil || len(r.Server.Samples) != 2 || r.Server.Samples[0].Step != 20 ||
		r.Server.Samples[0].IdleS != 0 || r.Server.Samples[1].Online != n || r.Server.Samples[1].RSSKB <= 0 ||
		r.Server.Samples[1].IdleS <= 0 {
		t.Errorf("server samples: %+v, want steps 20 and %d with RSS, and CPU at the last", r.Server, n)
	}
	if b := r.Broadcast; b == nil || b.Sent != 3 || b.Expected != 3*n || b.Delivered != 3*n || b.Lost != 0 ||
		len(b.LastMs) != 3 || b.LastMaxMs < b.P50Ms {
		t.Errorf("broadcast: %+v, want 3×%d delivered, no loss", b, n)
	}
	if tg := r.Targeted; tg == nil || tg.Requests == 0 || tg.OK != tg.Requests || tg.Delivered != tg.OK ||
		tg.Lost != 0 || tg.ReqPerS <= 0 || tg.APIP99Ms < tg.APIP50Ms {
		t.Errorf("targeted: %+v, want every publish ok and delivered", tg)
	}
	if r.Foreign != 0 || len(r.Errors) != 0 {
		t.Errorf("foreign %d, errors %q", r.Foreign, r.Errors)
	}
}

// TestBatchesAndGroups runs issue 10's figures at smoke size: targeted
// publishes in JSON-array batches (each push delivered once, counted as a
// push, not a request) and broadcasts to a group every client's uid was
// joined to, in several join requests (every client gets each once, and
// the clients of another process, not in the group, none).
func TestBatchesAndGroups(t *testing.T) {
	ioAddr, apiAddr := startPushio(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n, k, batch, others = 2500, 3, 100, 20 // 2,500 uids: three join requests; 100 items: a chunked answer

	cfg, err := parseFlags([]string{"-io", ioAddr, "-api", apiAddr, "-n", strconv.Itoa(others), "-uid-offset", strconv.Itoa(n),
		"-duration", "1m", "hold"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	holdCtx, stopHold := context.WithCancel(ctx)
	holder := newBench(cfg)
	held := make(chan *result, 1)
	go func() {
		r, _ := holder.run(holdCtx)
		held <- r
	}()
	r := runBench(ctx, t, "-io", ioAddr, "-api", apiAddr, "-n", strconv.Itoa(n), "-k", strconv.Itoa(k), "-c", "3",
		"-duration", "1s", "-batch", strconv.Itoa(batch), "-group", "g1", "-await", strconv.Itoa(n+others),
		"broadcast", "targeted")

	if r.Connect.OK != n {
		t.Fatalf("connect: %+v, want %d logged in", r.Connect, n)
	}
	if b := r.Broadcast; b == nil || b.Group != "g1" || b.Sent != k || b.Expected != k*n || b.Delivered != k*n ||
		b.Lost != 0 || b.Dups != 0 || len(b.LastMs) != k {
		t.Errorf("group broadcast: %+v, want group g1, %d×%d delivered once each", b, k, n)
	}
	if tg := r.Targeted; tg == nil || tg.Batch != batch || tg.Requests == 0 || tg.Errors != 0 ||
		tg.OK != batch*tg.Requests || tg.Offline != 0 || tg.Fail != 0 || tg.Delivered != tg.OK || tg.Lost != 0 {
		t.Errorf("batched targeted: %+v, want %d publishes a request, every one ok and delivered once", tg, batch)
	}
	if r.Foreign != 0 || len(r.Errors) != 0 {
		t.Errorf("foreign %d, errors %q", r.Foreign, r.Errors)
	}
	stopHold()
	if h := <-held; h == nil || h.Connect.OK != others {
		t.Fatalf("the other process: %+v, want %d logged in", h, others)
	}
	for seq := range k {
		if got := holder.sink.bcast.got[seq].Load(); got != 0 {
			t.Errorf("group broadcast %d reached %d pages outside the group", seq, got)
		}
	}
}

// TestSeveralProcesses runs a hold and a broadcaster side by side, as two
// processes would, and merges their results.
func TestSeveralProcesses(t *testing.T) {
	ioAddr, apiAddr := startPushio(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const held, k = 30, 3

	cfg, err := parseFlags([]string{"-io", ioAddr, "-api", apiAddr, "-n", strconv.Itoa(held), "-duration", "1m", "hold"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	holdCtx, stopHold := context.WithCancel(ctx)
	defer stopHold()
	holder := newBench(cfg)
	held1 := make(chan *result, 1)
	go func() {
		r, _ := holder.run(holdCtx)
		held1 <- r
	}()

	pub := runBench(ctx, t, "-io", ioAddr, "-api", apiAddr, "-n", "20", "-uid-offset", strconv.Itoa(held),
		"-await", "50", "-k", strconv.Itoa(k), "broadcast")
	// The broadcaster awaited its own clients; wait for the holder's.
	for seq := range k {
		for holder.sink.bcast.got[seq].Load() < held && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	stopHold()
	hold := <-held1

	var lines bytes.Buffer
	for _, r := range []*result{hold, pub} {
		r.derive()
		b, _ := json.Marshal(r)
		lines.Write(append(b, '\n'))
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"merge"}, &lines, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var m result
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("merge output %q: %v", out.String(), err)
	}
	if m.Clients != 50 || m.Connect.OK != 50 || m.Scenario != "hold,broadcast" {
		t.Errorf("merged: clients %d, logged in %d, scenario %q", m.Clients, m.Connect.OK, m.Scenario)
	}
	if b := m.Broadcast; b == nil || b.Sent != k || b.Expected != 50*k || b.Delivered != 50*k || b.Lost != 0 {
		t.Errorf("merged broadcast: %+v, want %d of %d", b, 50*k, 50*k)
	}
}
