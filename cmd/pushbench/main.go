// Command pushbench is pushio's load generator. It speaks Engine.IO 4 /
// Socket.IO 5 over websocket itself (one goroutine and a few hundred
// bytes of buffers per client), logs every client in with its own uid,
// publishes through the HTTP API, and prints one JSON line of results on
// stdout and a human summary on stderr. With -transport ws or sse its
// clients are pages without Socket.IO, on the browser's own WebSocket
// (io.ws_path) or EventSource (io.sse_path); -transport mix takes a
// Socket.IO websocket page, a ws page and an sse page in turn.
//
//	pushbench [flags] SCENARIO...
//
// Every run first connects -n clients at -rate per second, then runs its
// scenarios in order on them:
//
//	connect    hold the clients for -duration (or until SIGINT/SIGTERM);
//	           with -pid, sample the server's RSS and idle CPU
//	hold       the same, named for the extra processes of a big run
//	broadcast  -k broadcasts through the API, each awaited by every client;
//	           with -group G, this process's uids first join G and the
//	           broadcasts are pushes to group=G
//	targeted   publishes to random online uids from -c workers for -duration,
//	           -batch of them a request (a JSON-array batch when above 1);
//	           with -offline, to uids no page has (off<N>), each answer
//	           expected offline; -ttl holds them (held messages)
//	reload     one more page, of uid reload<-uid-offset>, reloads every
//	           -reload-every (its connection closed, -reload-gap, a fresh
//	           connection and login, the -io addresses in turn) while
//	           -push-rate pushes a second with ttl=-ttl go to its uid for
//	           -duration; then it waits for the held tail and counts
//	           pushes lost and duplicated
//
// and, each alone:
//
//	merge      merge the result lines of several processes on stdin into one
//	report     the Markdown table of medians of the result lines on stdin
//	           (the worst run for a count that must be 0 in every run), as
//	           bench/run.sh prints it
//	wrk        wrk's report (run with --latency) on stdin as a result line;
//	           with -pid, the server's CPU time until stdin ends, per request
//	gin        serve a bare Gin handler on the first -api address, reading
//	           the parameters pushio's API reads and answering ok, until
//	           SIGINT/SIGTERM: the floor the API is compared with
//
// One process opens at most ~19,000 connections here (ulimit -n 20000);
// more take several processes with distinct -uid-offset values, merged
// afterwards. The clients of each spread over source addresses
// 127.0.0.2, 127.0.0.3, … (-per-source each) and over the -io addresses.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the usage is printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pushbench:", err)
		os.Exit(1)
	}
}

// config is every flag.
type config struct {
	pool        poolOptions
	apiAddrs    []string
	n           int
	steps       []int
	duration    time.Duration
	settle      time.Duration
	idle        time.Duration
	k           int
	interval    time.Duration
	concurrency int
	batch       int
	offline     bool
	ttl         int
	reload      reloadOptions
	group       string
	targetAll   int
	await       int
	pids        []int
	label       string
	run         int
	cpuProfile  string
	memProfile  string
	scenarios   []string
}

var scenarioNames = []string{"connect", "hold", "broadcast", "targeted", "reload", "merge", "report", "wrk", "gin"}

// alone are the scenarios that run by themselves, without clients.
var alone = []string{"merge", "report", "wrk", "gin"}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("pushbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ioList := fs.String("io", "127.0.0.1:2120", "Socket.IO addresses, comma-separated; clients spread over them")
	apiList := fs.String("api", "127.0.0.1:2121", "publish API addresses, comma-separated; publishes spread over them")
	pidList := fs.String("pid", "", "server PIDs, comma-separated: sample their RSS (and CPU, with -idle) after each connect step")
	stepList := fs.String("steps", "", "client counts below -n, ascending, comma-separated, at which to sample the server too")
	fs.StringVar(&c.pool.path, "path", "/socket.io", "Socket.IO path")
	fs.StringVar(&c.pool.transport, "transport", kindSocketIO, "how clients connect: websocket (Socket.IO), polling (Socket.IO long-polling, never upgraded),\n"+
		"ws (plain WebSocket pages on -ws-path), sse (EventSource pages on -sse-path),\nor mix (websocket, ws and sse pages in turn)")
	fs.StringVar(&c.pool.wsPath, "ws-path", "/ws", "plain WebSocket path (io.ws_path), for -transport ws and mix")
	fs.StringVar(&c.pool.ssePath, "sse-path", "/events", "EventSource path (io.sse_path), for -transport sse and mix")
	fs.IntVar(&c.n, "n", 100, "clients this process connects and logs in")
	fs.Float64Var(&c.pool.rate, "rate", 2000, "connections started per second (0: as fast as -inflight allows)")
	fs.IntVar(&c.pool.inflight, "inflight", 500, "handshakes in progress at most")
	fs.DurationVar(&c.pool.timeout, "timeout", 10*time.Second, "bound on each handshake, request and wait for deliveries")
	fs.IntVar(&c.pool.uidOffset, "uid-offset", 0, "number of the first client (uid u<offset>); give each process its own range")
	fs.IntVar(&c.pool.perSource, "per-source", 5000, "clients per source address (127.0.0.2, 127.0.0.3, …)")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "connect/hold: how long to hold; targeted: how long to publish")
	fs.DurationVar(&c.settle, "settle", 2*time.Second, "with -pid: wait after each connect step before sampling the server")
	fs.DurationVar(&c.idle, "idle", 0, "with -pid: measure the server's CPU time over this long after the last step\n(one ping interval, 25s by default, sees every client's heartbeat once)")
	fs.IntVar(&c.k, "k", 20, "broadcast: number of broadcasts")
	fs.DurationVar(&c.interval, "interval", 50*time.Millisecond, "broadcast: pause after each broadcast has reached every client")
	fs.IntVar(&c.concurrency, "c", 50, "targeted: concurrent API connections")
	fs.IntVar(&c.batch, "batch", 1, "targeted: publishes per request; above 1, one JSON-array batch of that many (at most 1000, api.max_batch)")
	fs.BoolVar(&c.offline, "offline", false, "targeted: publish to uids no page has, off0…off<N-1> (N: -target-all, else -n), every answer expected offline")
	fs.IntVar(&c.ttl, "ttl", -1, "ttl= in seconds on each publish (held messages); -1: none for targeted, 30 for reload")
	fs.Float64Var(&c.reload.rate, "push-rate", 100, "reload: pushes a second to the reloading page's uid")
	fs.DurationVar(&c.reload.every, "reload-every", time.Second, "reload: how often the page reloads")
	fs.DurationVar(&c.reload.gap, "reload-gap", 100*time.Millisecond, "reload: from the old page's close to the new page's connect (the page loading)")
	fs.StringVar(&c.group, "group", "", "broadcast: join every uid of this process to this group (type=join), then push to group= it")
	fs.IntVar(&c.targetAll, "target-all", 0, "targeted: pick uids in u0…u<N-1> (every process's clients) rather than this process's")
	fs.IntVar(&c.await, "await", -1, "before the scenarios, wait until the API counts this many pages (-1: this process's clients)")
	fs.StringVar(&c.label, "label", "", "label copied into the result (e.g. pushio, node)")
	fs.IntVar(&c.run, "run", 0, "run number copied into the result")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write pushbench's own CPU profile to this file")
	fs.StringVar(&c.memProfile, "memprofile", "", "write pushbench's own heap profile to this file at the end")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: pushbench [flags] SCENARIO... (%s)\n", strings.Join(scenarioNames, ", "))
		fs.PrintDefaults()
	}
	// Scenarios and flags may come in any order.
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			c.scenarios = append(c.scenarios, args[0])
			args = args[1:]
		}
	}
	c.pool.ioAddrs = splitList(*ioList)
	c.apiAddrs = splitList(*apiList)
	pids, err := parseInts(*pidList)
	if err != nil {
		return nil, fmt.Errorf("-pid %q: %w", *pidList, err)
	}
	c.pids = pids
	if c.steps, err = parseInts(*stepList); err != nil {
		return nil, fmt.Errorf("-steps %q: %w", *stepList, err)
	}
	return c, c.validate()
}

func (c *config) validate() error {
	if len(c.scenarios) == 0 {
		return errors.New("no scenario given; want one or more of " + strings.Join(scenarioNames, ", "))
	}
	for _, s := range c.scenarios {
		if !slices.Contains(scenarioNames, s) {
			return fmt.Errorf("unknown scenario %q; want one of %s", s, strings.Join(scenarioNames, ", "))
		}
		if slices.Contains(alone, s) && len(c.scenarios) > 1 {
			return fmt.Errorf("%s runs alone", s)
		}
	}
	switch {
	case len(c.pool.ioAddrs) == 0 || len(c.apiAddrs) == 0:
		return errors.New("-io and -api need at least one address each")
	case c.n < 0 || c.n > 19500:
		return fmt.Errorf("-n %d: want 0…19500 (one process may open 20,000 files; run several with -uid-offset)", c.n)
	case c.k < 1 || c.k > maxBroadcasts:
		return fmt.Errorf("-k %d: want 1…%d", c.k, maxBroadcasts)
	case c.concurrency < 1:
		return fmt.Errorf("-c %d: want at least 1", c.concurrency)
	case c.batch < 1 || c.batch > maxBatch:
		return fmt.Errorf("-batch %d: want 1…%d (api.max_batch)", c.batch, maxBatch)
	case c.ttl < -1:
		return fmt.Errorf("-ttl %d: want seconds, 0 or more (-1: none)", c.ttl)
	case c.reload.rate <= 0 || c.reload.every <= 0 || c.reload.gap < 0:
		return errors.New("-push-rate and -reload-every must be positive, -reload-gap not negative")
	case slices.Contains(c.scenarios, "reload") && c.pool.transport != kindSocketIO:
		return fmt.Errorf("reload: -transport %q: its page is a Socket.IO websocket page only", c.pool.transport)
	case !slices.Contains(transports, c.pool.transport):
		return fmt.Errorf("-transport %q: want one of %s", c.pool.transport, strings.Join(transports, ", "))
	case c.pool.perSource < 1 || c.pool.timeout <= 0 || c.duration < 0 || c.pool.rate < 0 || c.idle < 0 || c.settle < 0:
		return errors.New("-per-source, -timeout must be positive; -duration, -rate, -idle, -settle not negative")
	}
	for i, s := range c.steps {
		if s <= 0 || s >= c.n || (i > 0 && s <= c.steps[i-1]) {
			return fmt.Errorf("-steps %v: want ascending counts between 0 and -n %d", c.steps, c.n)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	switch cfg.scenarios[0] {
	case "merge":
		return mergeResults(stdin, stdout, stderr)
	case "report":
		return report(stdin, stdout)
	case "wrk":
		w, err := wrkRun(cfg.pids, stdin)
		if err != nil {
			return err
		}
		return emit(&result{Label: cfg.label, Run: cfg.run, Scenario: "wrk", Clients: cfg.n,
			Connect: connectResult{Hist: &hist{}}, Wrk: w}, stdout, stderr)
	case "gin":
		return serveBareGin(ctx, cfg.apiAddrs[0])
	}
	if cfg.cpuProfile != "" {
		stopProfile, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	r, err := newBench(cfg).run(ctx)
	if err != nil {
		return err
	}
	if cfg.memProfile != "" {
		if err := writeHeapProfile(cfg.memProfile); err != nil {
			return err
		}
	}
	return emit(r, stdout, stderr)
}

// emit prints the JSON line and the summary.
func emit(r *result, stdout, stderr io.Writer) error {
	r.derive()
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding the result: %w", err)
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", b); err != nil {
		return fmt.Errorf("writing the result: %w", err)
	}
	r.summarize(stderr)
	return nil
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("starting the CPU profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating the heap profile: %w", err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return fmt.Errorf("writing the heap profile: %w", err)
	}
	return nil
}
