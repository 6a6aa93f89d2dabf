package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
)

// clientSpec is one socket.io client of client.js (see its header).
type clientSpec struct {
	Version    string   `json:"version"`
	Transports []string `json:"transports,omitempty"`
	UID        string   `json:"uid,omitempty"`
	Token      string   `json:"token,omitempty"`
	Logins     [][]any  `json:"logins,omitempty"`
	Upgrade    bool     `json:"upgrade,omitempty"`
	Expect     int      `json:"expect,omitempty"`
	Local      string   `json:"local,omitempty"`
	Reconnect  bool     `json:"reconnect,omitempty"`
	Events     []string `json:"events,omitempty"`
	// ReconnectMS is a fixed reconnection delay; Auth the handshake's
	// auth; Args puts every argument in event lines; Recovery puts
	// socket.recovered and socket.id in the connect line.
	ReconnectMS int            `json:"reconnect_ms,omitempty"`
	Auth        map[string]any `json:"auth,omitempty"`
	Args        bool           `json:"args,omitempty"`
	Recovery    bool           `json:"recovery,omitempty"`
}

// event is one line client.js printed.
type event struct {
	C    int    `json:"c"`
	Ev   string `json:"ev"`
	T    string `json:"t"`
	Data any    `json:"data"`
	Args []any  `json:"args"`
}

// nodeClients is one client.js process and the events it printed.
type nodeClients struct {
	t    testing.TB
	proc *e2etest.Node

	mu      sync.Mutex
	events  []event
	changed chan struct{} // closed and replaced on every event
}

// clientTimeout bounds a whole client.js run.
const clientTimeout = 40 * time.Second

// startClients runs client.js with the given clients against url; it is
// ended when t ends.
func startClients(t testing.TB, url string, clients ...clientSpec) *nodeClients {
	t.Helper()
	spec, err := json.Marshal(map[string]any{
		"url": url, "timeout_ms": clientTimeout.Milliseconds(), "clients": clients,
	})
	if err != nil {
		t.Fatalf("client spec: %v", err)
	}
	n := &nodeClients{t: t, changed: make(chan struct{})}
	n.proc = e2etest.StartNode(t, n.add, 5*time.Second, "client.js", string(spec))
	n.proc.Report = n.dump
	return n
}

// add records one line of client.js.
func (n *nodeClients) add(line []byte) {
	var e event
	if err := json.Unmarshal(line, &e); err != nil {
		e = event{C: -1, Ev: "garbage", Data: string(line)}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, e)
	close(n.changed)
	n.changed = make(chan struct{})
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
		case <-n.proc.Exited():
			n.mu.Lock()
			ok := cond(n.events)
			n.mu.Unlock()
			if !ok {
				n.t.Fatalf("client.js exited (%v) before %s", n.proc.Err(), what)
			}
			return
		case <-deadline.C:
			n.t.Fatalf("no %s within %s", what, timeout)
		}
	}
}

// command writes one line to client.js's stdin (drop C, move C URL).
func (n *nodeClients) command(line string) {
	n.t.Helper()
	if _, err := io.WriteString(n.proc.Stdin, line+"\n"); err != nil {
		n.t.Fatalf("client.js: %s: %v", line, err)
	}
}

// events is what client c printed named ev, in order.
func (n *nodeClients) eventsOf(c int, ev string) []event {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []event
	for _, e := range n.events {
		if e.C == c && e.Ev == ev {
			out = append(out, e)
		}
	}
	return out
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
	case <-n.proc.Exited():
	case <-time.After(timeout):
		n.t.Fatalf("client.js still running after %s", timeout)
	}
	if n.proc.Err() != nil {
		n.t.Fatalf("client.js failed: %v", n.proc.Err())
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
	b.WriteString("events:\n")
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
