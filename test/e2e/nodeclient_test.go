package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/test/e2e/harness"
)

// clientSpec is one socket.io client of client.js (see its header).
type clientSpec struct {
	Version    string   `json:"version"`
	Transports []string `json:"transports,omitempty"`
	UID        string   `json:"uid,omitempty"`
	Logins     [][]any  `json:"logins,omitempty"`
	Upgrade    bool     `json:"upgrade,omitempty"`
	Expect     int      `json:"expect,omitempty"`
}

// event is one line client.js printed.
type event struct {
	C    int    `json:"c"`
	Ev   string `json:"ev"`
	T    string `json:"t"`
	Data any    `json:"data"`
}

// nodeClients is one client.js process and the events it printed.
type nodeClients struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr harness.Buffer

	mu      sync.Mutex
	events  []event
	changed chan struct{} // closed and replaced on every event
	exited  chan struct{}
	exitErr error
}

// clientTimeout bounds a whole client.js run.
const clientTimeout = 40 * time.Second

// needNode fails or skips t (see harness.Missing) without node and the
// npm clients.
func needNode(t testing.TB) {
	t.Helper()
	harness.Need(t, "node")
	if _, err := os.Stat("node_modules/.installed"); err != nil {
		harness.Missing(t, "test/e2e/node_modules is not installed: run test/deps.sh (npm ci in test/e2e)")
	}
}

// startClients runs client.js with the given clients against url; it is
// ended when t ends.
func startClients(t testing.TB, url string, clients ...clientSpec) *nodeClients {
	t.Helper()
	needNode(t)
	spec, err := json.Marshal(map[string]any{
		"url": url, "timeout_ms": clientTimeout.Milliseconds(), "clients": clients,
	})
	if err != nil {
		t.Fatalf("client spec: %v", err)
	}
	n := &nodeClients{t: t, changed: make(chan struct{}), exited: make(chan struct{})}
	n.cmd = exec.Command("node", "client.js", string(spec))
	n.cmd.Stderr = &n.stderr
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("client.js stdout: %v", err)
	}
	if n.stdin, err = n.cmd.StdinPipe(); err != nil {
		t.Fatalf("client.js stdin: %v", err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("starting client.js: %v", err)
	}
	go n.read(stdout)
	t.Cleanup(n.stop)
	return n
}

func (n *nodeClients) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			e = event{C: -1, Ev: "garbage", Data: sc.Text()}
		}
		n.mu.Lock()
		n.events = append(n.events, e)
		close(n.changed)
		n.changed = make(chan struct{})
		n.mu.Unlock()
	}
	err := n.cmd.Wait()
	n.mu.Lock()
	n.exitErr = err
	n.mu.Unlock()
	close(n.exited)
}

// stop closes stdin (every client disconnects), then kills the process if
// it has not ended within a few seconds.
func (n *nodeClients) stop() {
	_ = n.stdin.Close()
	select {
	case <-n.exited:
	case <-time.After(5 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
	if n.t.Failed() {
		n.t.Logf("client.js (pid %d) stderr:\n%s\nevents:\n%s", n.cmd.Process.Pid, n.stderr.String(), n.dump())
	}
}

// wait returns once cond holds for the events so far; t fails after
// timeout, or if client.js exits first and cond still does not hold.
func (n *nodeClients) wait(timeout time.Duration, what string, cond func([]event) bool) {
	n.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		n.mu.Lock()
		ok, changed := cond(n.events), n.changed
		n.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-n.exited:
			n.mu.Lock()
			ok := cond(n.events)
			n.mu.Unlock()
			if !ok {
				n.t.Fatalf("client.js exited (%v) before %s", n.exitErr, what)
			}
			return
		case <-deadline.C:
			n.t.Fatalf("no %s within %s", what, timeout)
		}
	}
}

// waitLine waits for a process-wide line: "all_ready" or "done".
func (n *nodeClients) waitLine(ev string, timeout time.Duration) {
	n.t.Helper()
	n.wait(timeout, `"`+ev+`" from client.js`, func(es []event) bool {
		return slices.ContainsFunc(es, func(e event) bool { return e.Ev == ev })
	})
}

// waitMsgs waits until client c has received want new_msg events.
func (n *nodeClients) waitMsgs(c, want int, timeout time.Duration) {
	n.t.Helper()
	n.wait(timeout, fmt.Sprintf("%d new_msg for client %d", want, c), func(es []event) bool {
		return len(payloads(es, c, "new_msg")) >= want
	})
}

// waitExit waits for client.js to end and fails t if it did not succeed.
func (n *nodeClients) waitExit(timeout time.Duration) {
	n.t.Helper()
	select {
	case <-n.exited:
	case <-time.After(timeout):
		n.t.Fatalf("client.js still running after %s", timeout)
	}
	if n.exitErr != nil {
		n.t.Fatalf("client.js failed: %v", n.exitErr)
	}
}

// data returns the payloads of client c's events named ev, in order.
func (n *nodeClients) data(c int, ev string) []any {
	n.mu.Lock()
	defer n.mu.Unlock()
	return payloads(n.events, c, ev)
}

// payloads are the data of client c's events named ev, in order.
func payloads(es []event, c int, ev string) []any {
	var out []any
	for _, e := range es {
		if e.C == c && e.Ev == ev {
			out = append(out, e.Data)
		}
	}
	return out
}

// count is how many events named ev client c printed.
func (n *nodeClients) count(c int, ev string) int { return len(n.data(c, ev)) }

// last returns client c's latest event named ev, if any.
func (n *nodeClients) last(c int, ev string) (event, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := len(n.events) - 1; i >= 0; i-- {
		if e := n.events[i]; e.C == c && e.Ev == ev {
			return e, true
		}
	}
	return event{}, false
}

func (n *nodeClients) dump() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var b strings.Builder
	for i, e := range n.events {
		if i == 200 {
			fmt.Fprintf(&b, "… %d more\n", len(n.events)-i)
			break
		}
		line, _ := json.Marshal(e)
		b.Write(append(line, '\n'))
	}
	return b.String()
}
