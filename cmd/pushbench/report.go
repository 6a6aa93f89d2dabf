package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Labels bench/run.sh gives its results; report compares pushio with the
// Node reference (or, for wrk, with a bare Gin handler) and shows the
// cluster alone.
const (
	labelPushio  = "pushio"
	labelNode    = "node"
	labelGin     = "gin"
	labelCluster = "pushio-cluster"
)

// row is one line of the table: a figure picked from each result of a
// kind, shown as the median over the runs.
type row struct {
	title     string
	unit      string // shown after the client count
	label     string // labelPushio (compared with against) or labelCluster
	against   string // labelNode unless set
	clients   int
	transport string // the clients' transport: "" (websocket), "polling", "ws", "sse" or "mix"
	// vsSocketIO compares with pushio's own figure with Socket.IO
	// websocket clients instead of the Node reference's.
	vsSocketIO bool
	// base, when set, picks the other column from pushio's own results
	// (a baseline of the same runs, named baseName in the goal).
	base     func(*result) (float64, bool)
	baseName string
	pick     func(*result) (float64, bool)
	lower    bool // lower is better
	compare  bool // the ratio to the other column is shown
	// ratio is the goal for that ratio (0: none): at most ratio when
	// lower is better, at least ratio otherwise.
	ratio  float64
	goal   *goal
	digits int
	// scope replaces ", N clients" in the title when set.
	scope string
	// always shows the row, not met, when nothing measured it.
	always bool
	// worst shows the value farthest from 0 over the runs, not the
	// median: a count that must be 0 in every run.
	worst bool
}

// goal is an absolute target of issue 8.
type goal struct {
	text string
	met  func(float64) bool
}

func atMost(v float64, text string) *goal {
	return &goal{text: text, met: func(x float64) bool { return x <= v }}
}

// exactly is met by v alone: a count that must be 0 is not met by a
// negative one.
func exactly(v float64, text string) *goal {
	return &goal{text: text, met: func(x float64) bool { return x == v }}
}

func atLeast(v float64, text string) *goal {
	return &goal{text: text, met: func(x float64) bool { return x >= v }}
}

// report prints the Markdown table of medians of the results on stdin.
func report(stdin io.Reader, stdout io.Writer) error {
	rs, err := readResults(stdin)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return fmt.Errorf("report: no result on stdin")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Medians over runs (pushio: %d, Node: %d, cluster: %d result lines).\n\n",
		countLabel(rs, labelPushio), countLabel(rs, labelNode), countLabel(rs, labelCluster))
	b.WriteString("| figure | pushio | Node | pushio/Node | goal (issue 8) | met |\n")
	b.WriteString("|---|---:|---:|---:|---|---|\n")
	for _, rw := range tableRows(rs) {
		rw.write(&b, rs)
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}

func countLabel(rs []*result, label string) int {
	n := 0
	for _, r := range rs {
		if r.Label == label {
			n++
		}
	}
	return n
}

// tableRows lists the figures, one group per client count measured.
func tableRows(rs []*result) []row {
	var out []row
	for _, step := range sampleSteps(rs, labelPushio, "") {
		out = append(out,
			row{title: "memory per idle logged-in connection", unit: "KB", clients: step, lower: true, compare: true,
				ratio: 0.35, goal: atMost(6, "≤ 6 KB"), digits: 1,
				pick: sampleAt(step, func(x serverSample) (float64, bool) { return x.RSSPerConnKB, true })},
			row{title: "CPU while idle, heartbeats included", unit: "% of one core", clients: step, lower: true, compare: true,
				ratio: 0.5, digits: 1,
				pick: sampleAt(step, func(x serverSample) (float64, bool) { return x.IdleCPUPct, x.IdleS > 0 })},
		)
	}
	for _, step := range sampleSteps(rs, labelPushio, "polling") {
		out = append(out, row{title: "memory per idle logged-in long-polling connection", unit: "KB", clients: step,
			transport: "polling", lower: true, compare: true, ratio: 1, digits: 1,
			pick: sampleAt(step, func(x serverSample) (float64, bool) { return x.RSSPerConnKB, true })})
	}
	out = append(out, plainRows(rs)...)
	for _, n := range clientCounts(rs, labelPushio, func(r *result) bool { return r.Connect.OK > 0 && r.Transport == "" }) {
		out = append(out,
			row{title: "login p99", unit: "ms", clients: n, lower: true, compare: true, ratio: 0.5, digits: 1,
				pick: withClients(n, func(r *result) (float64, bool) { return r.Connect.P99Ms, r.Connect.OK > 0 })},
			row{title: "logins failed or dropped", clients: n, lower: true, goal: atMost(0, "0"),
				pick: withClients(n, func(r *result) (float64, bool) {
					return float64(r.Connect.Failed + r.Connect.Dropped), true
				})},
		)
	}
	for _, n := range clientCounts(rs, labelPushio, func(r *result) bool { return r.Broadcast != nil && r.Broadcast.Group == "" }) {
		bc := func(f func(*broadcastResult) float64) func(*result) (float64, bool) { return broadcastAt(n, f) }
		out = append(out,
			row{title: "broadcast: delivery p99", unit: "ms", clients: n, lower: true, compare: true, digits: 1,
				pick: bc(func(b *broadcastResult) float64 { return b.P99Ms })},
			row{title: "broadcast: last client, p99 over the broadcasts", unit: "ms", clients: n, lower: true, compare: true,
				ratio: 0.4, goal: atMost(60, "≤ 60 ms"), digits: 1,
				pick: bc(func(b *broadcastResult) float64 { return b.LastP99Ms })},
			row{title: "broadcast: messages lost", clients: n, lower: true, goal: atMost(0, "0"),
				pick: bc(func(b *broadcastResult) float64 { return float64(b.Lost) })},
			row{title: "broadcast: messages duplicated", clients: n, lower: true, goal: atMost(0, "0"),
				pick: bc(func(b *broadcastResult) float64 { return float64(b.Dups) })},
		)
	}
	for _, label := range []string{labelPushio, labelCluster} {
		for _, n := range clientCounts(rs, label, func(r *result) bool { return r.Targeted != nil && r.Targeted.Batch <= 1 && !r.Targeted.special() }) {
			out = append(out, targetedRows(label, n)...)
		}
	}
	out = append(out, issue10Rows(rs)...)
	out = append(out, issue12Rows(rs)...)
	for _, n := range clientCounts(rs, labelPushio, func(r *result) bool { return r.Wrk != nil }) {
		out = append(out, wrkRows(n)...)
	}
	return out
}

// plainRows are the figures of pages without Socket.IO, against pushio's
// own with Socket.IO websocket clients (issue 11): memory per idle
// logged-in plain WebSocket page (at most the Socket.IO figure) and
// EventSource page (reported), and the last page of a broadcast to a mix
// of Socket.IO, ws and sse pages (within 1.2× of all Socket.IO).
func plainRows(rs []*result) []row {
	var out []row
	for _, k := range []struct {
		transport, what string
		ratio           float64
	}{{kindWS, "plain WebSocket page", 1}, {kindSSE, "EventSource page", 0}} {
		for _, step := range sampleSteps(rs, labelPushio, k.transport) {
			out = append(out, row{title: "memory per idle logged-in " + k.what + " (Node column: pushio's Socket.IO websocket connection)",
				unit: "KB", clients: step, transport: k.transport, vsSocketIO: true, lower: true, compare: true, ratio: k.ratio, digits: 1,
				pick: sampleAt(step, func(x serverSample) (float64, bool) { return x.RSSPerConnKB, true })})
		}
	}
	for _, n := range clientCounts(rs, labelPushio, func(r *result) bool { return r.Broadcast != nil && r.Transport == kindMix }) {
		bc := func(f func(*broadcastResult) float64) func(*result) (float64, bool) { return broadcastAt(n, f) }
		const what = "broadcast to a mix of Socket.IO, plain WebSocket and EventSource pages"
		out = append(out,
			row{title: what + ": last page, p99 over the broadcasts (Node column: pushio, all Socket.IO)", unit: "ms",
				clients: n, transport: kindMix, vsSocketIO: true, lower: true, compare: true, ratio: 1.2, digits: 1,
				pick: bc(func(b *broadcastResult) float64 { return b.LastP99Ms })},
			row{title: what + ": messages lost or duplicated", clients: n, transport: kindMix, lower: true, goal: atMost(0, "0"),
				pick: bc(func(b *broadcastResult) float64 { return float64(b.Lost + b.Dups) })},
		)
	}
	return out
}

// wrkRows are the figures of wrk publishing to u0 with n clients (1: u0 is
// online; 0: offline, so that nothing is delivered and the server's CPU is
// the API's own), against the Node reference and a bare Gin handler.
func wrkRows(n int) []row {
	wk := func(f func(*wrkResult) float64) func(*result) (float64, bool) {
		return func(r *result) (float64, bool) {
			if r.Wrk == nil || (r.Label != labelGin && r.Clients != n) {
				return 0, false
			}
			return f(r.Wrk), true
		}
	}
	rps := wk(func(w *wrkResult) float64 { return w.ReqPerS })
	cpu := wk(func(w *wrkResult) float64 { return w.CPUPerReqUs })
	what, ratio, rpsGoal := "wrk -c50, publish to an online uid", 0.0, atLeast(40000, "≥ 40,000/s")
	if n == 0 {
		what, ratio, rpsGoal = "wrk -c50, publish to an offline uid (nothing delivered: the API's own cost)", 1.15, nil
	}
	return []row{
		{title: what + ": requests/s", clients: n, compare: true, goal: rpsGoal, pick: rps},
		{title: what + ": requests/s (Node column: a bare Gin handler doing the same reads)", clients: n,
			against: labelGin, compare: true, pick: rps},
		{title: what + ": server CPU per request (Node column: the bare Gin handler)", unit: "µs", clients: n,
			against: labelGin, lower: true, compare: true, ratio: ratio, digits: 1, pick: cpu},
		{title: what + ": non-2xx answers and socket errors", clients: n, lower: true, goal: atMost(0, "0"),
			pick: wk(func(w *wrkResult) float64 { return float64(w.Non2xx + w.Errors) })},
	}
}

// issue10Rows are the figures of issue 10, each against pushio's own
// baseline of the same runs: targeted publishes in JSON-array batches
// (delivered/s at least 10× one publish a request) and broadcasts to a
// group every client is in (the last client within 1.2× of a broadcast to
// everyone).
func issue10Rows(rs []*result) []row {
	var out []row
	var batches []int
	for _, r := range rs {
		if r.Label == labelPushio && r.Targeted != nil && r.Targeted.Batch > 1 && !slices.Contains(batches, r.Targeted.Batch) {
			batches = append(batches, r.Targeted.Batch)
		}
	}
	slices.Sort(batches)
	for _, size := range batches {
		for _, n := range clientCounts(rs, labelPushio, func(r *result) bool { return r.Targeted != nil && r.Targeted.Batch == size }) {
			what := "targeted publish in batches of " + strconv.Itoa(size)
			out = append(out,
				row{title: what + ": delivered/s (Node column: pushio, one publish a request)", clients: n, compare: true, ratio: 10,
					base: targetedAt(n, 1, func(t *targetedResult) float64 { return t.DeliveredPerS }), baseName: "one a request",
					pick: targetedAt(n, size, func(t *targetedResult) float64 { return t.DeliveredPerS })},
				row{title: what + ": requests/s", clients: n,
					pick: targetedAt(n, size, func(t *targetedResult) float64 { return t.ReqPerS })},
				// Deliveries of publishes not answered ok make Lost negative.
				row{title: what + ": messages lost or unanswered, and requests in error", clients: n, lower: true, goal: atMost(0, "0"),
					pick: targetedAt(n, size, func(t *targetedResult) float64 { return math.Abs(float64(t.Lost)) + float64(t.Errors) })},
			)
		}
	}
	for _, n := range clientCounts(rs, labelPushio, func(r *result) bool { return r.Broadcast != nil && r.Broadcast.Group != "" }) {
		grouped := func(f func(*broadcastResult) float64) func(*result) (float64, bool) {
			return broadcastWhere(n, func(b *broadcastResult) (float64, bool) { return f(b), b.Group != "" })
		}
		const what = "broadcast to a group every client is in"
		out = append(out,
			row{title: what + ": last client, p99 over the broadcasts (Node column: pushio, broadcast to everyone)", unit: "ms",
				clients: n, lower: true, compare: true, ratio: 1.2, digits: 1, baseName: "the broadcast",
				base: broadcastAt(n, func(b *broadcastResult) float64 { return b.LastP99Ms }),
				pick: grouped(func(b *broadcastResult) float64 { return b.LastP99Ms })},
			row{title: what + ": messages lost or duplicated", clients: n, lower: true, goal: atMost(0, "0"),
				pick: grouped(func(b *broadcastResult) float64 { return float64(b.Lost + b.Dups) })},
		)
	}
	return out
}

// special is a targeted result of issue 12's (to offline uids, or with a
// ttl), left out of the rows of publishes to online uids.
func (t *targetedResult) special() bool { return t.ToOffline || t.TTL != 0 }

// reloadKey is what a reload row compares: the same reload period, push
// rate and ttl, over the same whole seconds.
type reloadKey struct {
	everyS, rate float64
	ttl, secs    int
}

func keyOf(rl *reloadResult) reloadKey {
	return reloadKey{rl.EveryS, rl.PushRate, rl.TTL, int(math.Round(rl.DurationS))}
}

// issue12Rows are the figures of issue 12: a page reloading while pushes
// with a ttl go to its uid, on one node and on a 2-node cluster (none
// lost, none duplicated: shown as met only when exactly 0, and not met
// when one of the two did not run; the worst run shown), and publishes with a ttl to offline
// uids against the same without (at least 0.8×).
func issue12Rows(rs []*result) []row {
	var out []row
	var keys []reloadKey
	for _, r := range rs {
		if r.Reload != nil && (r.Label == labelPushio || r.Label == labelCluster) && !slices.Contains(keys, keyOf(r.Reload)) {
			keys = append(keys, keyOf(r.Reload))
		}
	}
	slices.SortFunc(keys, func(a, b reloadKey) int { return cmp.Or(cmp.Compare(a.secs, b.secs), cmp.Compare(a.everyS, b.everyS)) })
	for _, k := range keys {
		rl := func(f func(*reloadResult) float64) func(*result) (float64, bool) {
			return func(r *result) (float64, bool) {
				if r.Reload == nil || keyOf(r.Reload) != k {
					return 0, false
				}
				return f(r.Reload), true
			}
		}
		what := "reload every " + strconv.FormatFloat(k.everyS, 'f', -1, 64) + " s, " +
			strconv.FormatFloat(k.rate, 'f', -1, 64) + " pushes/s with ttl " + strconv.Itoa(k.ttl)
		scope := "1 page, " + strconv.Itoa(k.secs) + " s"
		for _, label := range []string{labelPushio, labelCluster} {
			prefix := ""
			if label == labelCluster {
				prefix = "2-node cluster: "
			}
			out = append(out,
				row{title: prefix + what + ": pushes lost", label: label, scope: scope, always: true, worst: true, lower: true, goal: exactly(0, "0"),
					pick: rl(func(x *reloadResult) float64 { return float64(x.Lost) })},
				row{title: prefix + what + ": of them answered ok to a page pushio was closing", label: label, scope: scope, worst: true, lower: true,
					pick: rl(func(x *reloadResult) float64 { return float64(x.LostOKClosing) })},
				row{title: prefix + what + ": pushes duplicated", label: label, scope: scope, always: true, worst: true, lower: true, goal: exactly(0, "0"),
					pick: rl(func(x *reloadResult) float64 { return float64(x.Dups) })},
				row{title: prefix + what + ": reloads done", label: label, scope: scope,
					pick: rl(func(x *reloadResult) float64 { return float64(x.Reloads) })},
			)
		}
	}
	offline := func(withTTL bool, f func(*targetedResult) float64) func(*result) (float64, bool) {
		return func(r *result) (float64, bool) {
			if r.Targeted == nil || !r.Targeted.ToOffline || (r.Targeted.TTL > 0) != withTTL {
				return 0, false
			}
			return f(r.Targeted), true
		}
	}
	var ttls []int
	for _, r := range rs {
		if r.Label == labelPushio && r.Targeted != nil && r.Targeted.ToOffline && r.Targeted.TTL > 0 && !slices.Contains(ttls, r.Targeted.TTL) {
			ttls = append(ttls, r.Targeted.TTL)
		}
	}
	slices.Sort(ttls)
	for _, ttl := range ttls {
		withThis := func(f func(*targetedResult) float64) func(*result) (float64, bool) {
			pick := offline(true, f)
			return func(r *result) (float64, bool) {
				if v, ok := pick(r); ok && r.Targeted.TTL == ttl {
					return v, true
				}
				return 0, false
			}
		}
		out = append(out, row{title: "publish with ttl=" + strconv.Itoa(ttl) + " to offline uids: answered/s (Node column: pushio, the same without ttl)",
			scope: "one node (memory)", always: true, compare: true, ratio: 0.8, baseName: "without ttl",
			base: offline(false, func(t *targetedResult) float64 { return t.AnsweredPerS }),
			pick: withThis(func(t *targetedResult) float64 { return t.AnsweredPerS })})
	}
	for _, withTTL := range []bool{false, true} {
		if len(picks(rs, labelPushio, "", offline(withTTL, func(*targetedResult) float64 { return 0 }))) == 0 {
			continue
		}
		what := "publish to offline uids without ttl"
		if withTTL {
			what = "publish with ttl to offline uids"
		}
		out = append(out, row{title: what + ": answers other than offline, and requests in error", scope: "one node (memory)",
			worst: true, lower: true, goal: exactly(0, "0"),
			pick: offline(withTTL, func(t *targetedResult) float64 { return float64(t.OK + t.Fail + t.Errors) })})
	}
	return out
}

// targetedAt picks f of the targeted results of runs with n clients and
// batch publishes a request (1: one a request).
func targetedAt(n, batch int, f func(*targetedResult) float64) func(*result) (float64, bool) {
	return withClients(n, func(r *result) (float64, bool) {
		if r.Targeted == nil || max(r.Targeted.Batch, 1) != batch || r.Targeted.special() {
			return 0, false
		}
		return f(r.Targeted), true
	})
}

func targetedRows(label string, n int) []row {
	tg := func(f func(*targetedResult) float64) func(*result) (float64, bool) {
		return targetedAt(n, 1, f)
	}
	compare, prefix, rps, ratio := true, "targeted publish", (*goal)(nil), 2.0
	if label == labelCluster {
		compare, prefix, rps, ratio = false, "2-node cluster: targeted publish", atLeast(20000, "≥ 20,000/s"), 0
	}
	return []row{
		{title: prefix + ": requests/s", label: label, clients: n, compare: compare, ratio: ratio, goal: rps,
			pick: tg(func(t *targetedResult) float64 { return t.ReqPerS })},
		{title: prefix + ": API p99", unit: "ms", label: label, clients: n, lower: true, compare: compare, digits: 2,
			pick: tg(func(t *targetedResult) float64 { return t.APIP99Ms })},
		{title: prefix + ": delivered/s", label: label, clients: n, compare: compare,
			pick: tg(func(t *targetedResult) float64 { return t.DeliveredPerS })},
		{title: prefix + ": messages lost", label: label, clients: n, lower: true, goal: atMost(0, "0"),
			pick: tg(func(t *targetedResult) float64 { return float64(t.Lost) })},
	}
}

// broadcastAt picks f of the broadcast results of runs with n clients,
// broadcasts to everyone (not to a group: issue10Rows has those).
func broadcastAt(n int, f func(*broadcastResult) float64) func(*result) (float64, bool) {
	return broadcastWhere(n, func(b *broadcastResult) (float64, bool) { return f(b), b.Group == "" })
}

// broadcastWhere picks f of the broadcast results of runs with n clients
// where f says so.
func broadcastWhere(n int, f func(*broadcastResult) (float64, bool)) func(*result) (float64, bool) {
	return withClients(n, func(r *result) (float64, bool) {
		if r.Broadcast == nil {
			return 0, false
		}
		return f(r.Broadcast)
	})
}

// withClients restricts pick to the results of runs with n clients.
func withClients(n int, pick func(*result) (float64, bool)) func(*result) (float64, bool) {
	return func(r *result) (float64, bool) {
		if r.Clients != n {
			return 0, false
		}
		return pick(r)
	}
}

// sampleAt picks from the server sample taken at step.
func sampleAt(step int, f func(serverSample) (float64, bool)) func(*result) (float64, bool) {
	return func(r *result) (float64, bool) {
		if r.Server == nil {
			return 0, false
		}
		for _, x := range r.Server.Samples {
			if x.Step == step {
				return f(x)
			}
		}
		return 0, false
	}
}

// sampleSteps lists, ascending, the steps at which label's servers were
// sampled with clients on transport.
func sampleSteps(rs []*result, label, transport string) []int {
	var steps []int
	for _, r := range rs {
		if r.Label != label || r.Server == nil || r.Transport != transport {
			continue
		}
		for _, x := range r.Server.Samples {
			if !slices.Contains(steps, x.Step) {
				steps = append(steps, x.Step)
			}
		}
	}
	slices.Sort(steps)
	return steps
}

// clientCounts lists, ascending, the client counts of label's results that
// have a section.
func clientCounts(rs []*result, label string, has func(*result) bool) []int {
	var ns []int
	for _, r := range rs {
		if r.Label == label && has(r) && !slices.Contains(ns, r.Clients) {
			ns = append(ns, r.Clients)
		}
	}
	slices.Sort(ns)
	return ns
}

// values are rw's picks from label's results with clients on transport.
func (rw row) values(rs []*result, label, transport string) []float64 {
	return picks(rs, label, transport, rw.pick)
}

// picks are pick's figures from label's results with clients on transport.
func picks(rs []*result, label, transport string, pick func(*result) (float64, bool)) []float64 {
	var v []float64
	for _, r := range rs {
		if r.Label != label || r.Transport != transport {
			continue
		}
		if x, ok := pick(r); ok {
			v = append(v, x)
		}
	}
	return v
}

func (rw row) write(b *strings.Builder, rs []*result) {
	label := rw.label
	if label == "" {
		label = labelPushio
	}
	ours := median(rw.values(rs, label, rw.transport))
	if rw.worst {
		ours = farthestFromZero(rw.values(rs, label, rw.transport))
	}
	theirs, against := math.NaN(), rw.against
	if against == "" {
		against = labelNode
	}
	switch {
	case rw.base != nil:
		theirs, against = median(picks(rs, labelPushio, rw.transport, rw.base)), rw.baseName
	case rw.vsSocketIO:
		theirs, against = median(rw.values(rs, labelPushio, "")), "socketio"
	case label == labelPushio:
		theirs = median(rw.values(rs, against, rw.transport))
	}
	if math.IsNaN(ours) && math.IsNaN(theirs) && !rw.always {
		return // not measured at this size (CPU is sampled at the last step only)
	}
	ratio := "—"
	if rw.compare && !math.IsNaN(theirs) && theirs != 0 {
		ratio = strconv.FormatFloat(ours/theirs, 'f', 2, 64)
	}
	goals, met := []string{}, !math.IsNaN(ours)
	if rw.goal != nil {
		goals = append(goals, rw.goal.text)
		met = met && rw.goal.met(ours)
	}
	if rw.ratio > 0 && (!math.IsNaN(theirs) || rw.always) { // NaN: not met
		other := map[string]string{labelNode: "Node", labelGin: "bare Gin", "socketio": "Socket.IO"}[against]
		if rw.base != nil {
			other = rw.baseName
		}
		if rw.lower {
			goals = append(goals, "≤ "+strconv.FormatFloat(rw.ratio, 'f', -1, 64)+"× "+other)
			met = met && ours <= rw.ratio*theirs
		} else {
			goals = append(goals, "≥ "+strconv.FormatFloat(rw.ratio, 'f', -1, 64)+"× "+other)
			met = met && ours >= rw.ratio*theirs
		}
	}
	metText := "—"
	if len(goals) > 0 {
		metText = map[bool]string{true: "yes", false: "**no**"}[met]
	}
	title := rw.title + ", " + thousands(float64(rw.clients), 0) + " clients"
	if rw.scope != "" {
		title = rw.title + ", " + rw.scope
	}
	if rw.unit != "" {
		title += " (" + rw.unit + ")"
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", title,
		thousands(ours, rw.digits), thousands(theirs, rw.digits), ratio, strings.Join(goals, "; "), metText)
}

// farthestFromZero is the value of v largest in magnitude; NaN when v is
// empty.
func farthestFromZero(v []float64) float64 {
	w := math.NaN()
	for _, x := range v {
		if math.IsNaN(w) || math.Abs(x) > math.Abs(w) {
			w = x
		}
	}
	return w
}

// thousands formats v with digits decimals and thin-space-free commas;
// NaN is a dash.
func thousands(v float64, digits int) string {
	if math.IsNaN(v) {
		return "—"
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', digits, 64)
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if frac != "" {
		whole += "." + frac
	}
	if v < 0 {
		whole = "-" + whole
	}
	return whole
}
