package main

import (
	"fmt"
	"io"
	"strings"
)

// result is the one JSON line pushbench prints. Counts and histograms are
// raw, so that the results of several processes can be merged; derive
// fills in the percentiles and losses from them.
type result struct {
	Label     string           `json:"label,omitempty"`
	Run       int              `json:"run,omitempty"`
	Scenario  string           `json:"scenario"`
	Transport string           `json:"transport,omitempty"` // polling, ws, sse or mix; websocket when empty
	Clients   int              `json:"clients"`
	Connect   connectResult    `json:"connect"`
	Server    *serverResult    `json:"server,omitempty"`
	Broadcast *broadcastResult `json:"broadcast,omitempty"`
	Targeted  *targetedResult  `json:"targeted,omitempty"`
	Wrk       *wrkResult       `json:"wrk,omitempty"`
	Reload    *reloadResult    `json:"reload,omitempty"`
	// Foreign counts new_msg contents pushbench did not send.
	Foreign int64    `json:"foreign"`
	Errors  []string `json:"errors,omitempty"`
}

type connectResult struct {
	OK       int64   `json:"ok"`
	Failed   int64   `json:"failed"`
	Dropped  int64   `json:"dropped"`
	ElapsedS float64 `json:"elapsed_s"`
	PerS     float64 `json:"per_s"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	Hist     *hist   `json:"hist"`
}

// serverResult is what /proc says of the servers named by -pid: their
// RSS before the first client, then a sample at each step of the connect.
type serverResult struct {
	PIDs        []int          `json:"pids"`
	RSSBeforeKB int64          `json:"rss_before_kb"`
	Samples     []serverSample `json:"samples"`
}

type serverSample struct {
	Step         int     `json:"step"`   // clients asked for at this step
	Online       int64   `json:"online"` // clients logged in and connected
	RSSKB        int64   `json:"rss_kb"`
	RSSPerConnKB float64 `json:"rss_per_conn_kb"`
	IdleS        float64 `json:"idle_s,omitempty"`
	IdleCPUPct   float64 `json:"idle_cpu_pct"`
}

type broadcastResult struct {
	// Group is -group: the broadcasts were pushes to that group.
	Group     string    `json:"group,omitempty"`
	Sent      int       `json:"sent"`
	K         int64     `json:"k"`
	Expected  int64     `json:"expected"`
	Delivered int64     `json:"delivered"`
	Lost      int64     `json:"lost"`
	Dups      int64     `json:"duplicates"`
	P50Ms     float64   `json:"p50_ms"`
	P99Ms     float64   `json:"p99_ms"`
	MaxMs     float64   `json:"max_ms"`
	LastMs    []float64 `json:"last_ms"`
	LastP50Ms float64   `json:"last_p50_ms"`
	LastP99Ms float64   `json:"last_p99_ms"`
	LastMaxMs float64   `json:"last_max_ms"`
	Hist      *hist     `json:"hist"`
}

type targetedResult struct {
	// Batch is -batch above 1: publishes per request. Requests counts
	// requests; OK, Offline, Fail and Delivered count publishes.
	Batch int `json:"batch,omitempty"`
	// ToOffline is -offline: the uids had no page, every answer is
	// expected offline. TTL is -ttl's ttl= (0: none).
	ToOffline     bool    `json:"to_offline,omitempty"`
	TTL           int     `json:"ttl,omitempty"`
	Requests      int64   `json:"requests"`
	OK            int64   `json:"ok"`
	Offline       int64   `json:"offline"`
	Fail          int64   `json:"fail"`
	Errors        int64   `json:"errors"`
	DurationS     float64 `json:"duration_s"`
	ReqPerS       float64 `json:"req_per_s"`
	AnsweredPerS  float64 `json:"answered_per_s"` // publishes answered (ok, offline or fail) a second
	APIP50Ms      float64 `json:"api_p50_ms"`
	APIP99Ms      float64 `json:"api_p99_ms"`
	Delivered     int64   `json:"delivered"`
	DeliverS      float64 `json:"deliver_s"`
	DeliveredPerS float64 `json:"delivered_per_s"`
	// Lost is ok answers less deliveries: exact when the targets are this
	// process's clients or after merging every process's result.
	Lost     int64   `json:"lost"`
	LatP50Ms float64 `json:"lat_p50_ms"`
	LatP99Ms float64 `json:"lat_p99_ms"`
	APIHist  *hist   `json:"api_hist"`
	LatHist  *hist   `json:"lat_hist"`
}

// reloadResult is the reload scenario's: Published counts publish
// requests (each its own sequence number), OK, Offline, Fail the answers
// and Errors the requests that got none; Received counts the pushes its
// pages got, Unique the distinct ones, InClose those a page got while it
// closed (after its close frame, before the server's: a browser reads
// them but no page shows them).
type reloadResult struct {
	UID       string  `json:"uid"`
	PushRate  float64 `json:"push_rate"`
	TTL       int     `json:"ttl"`
	EveryS    float64 `json:"every_s"`
	GapS      float64 `json:"gap_s"`
	Instances int     `json:"instances"`
	DurationS float64 `json:"duration_s"`
	Published int64   `json:"published"`
	OK        int64   `json:"ok"`
	Offline   int64   `json:"offline"`
	Fail      int64   `json:"fail"`
	Errors    int64   `json:"errors"`
	Received  int64   `json:"received"`
	Unique    int64   `json:"unique"`
	InClose   int64   `json:"in_close"`
	Lost      int64   `json:"lost"` // Published − Unique
	// LostOKClosing counts the lost pushes answered ok while no page was
	// open (the old one closing or gone, the new one not yet dialled):
	// pushes the server handed to a page it was closing, not held.
	LostOKClosing int64 `json:"lost_ok_closing"`
	Dups          int64 `json:"duplicates"` // Received − Unique
	// Missed names the first lost and duplicated pushes (at most
	// maxMissed): what each was answered, through which -api address,
	// and when, for finding the server's path that missed it.
	Missed     []string `json:"missed,omitempty"`
	Reloads    int64    `json:"reloads"`
	Dropped    int64    `json:"dropped"`     // pages whose connection the server ended first
	PageErrors int64    `json:"page_errors"` // pages that did not log in
	TailS      float64  `json:"tail_s"`      // the wait for the held tail after the last push
	LatP50Ms   float64  `json:"lat_p50_ms"`
	LatP99Ms   float64  `json:"lat_p99_ms"`
	LatMaxMs   float64  `json:"lat_max_ms"`
	LatHist    *hist    `json:"lat_hist"`
}

// derive computes every figure that follows from the raw counts.
func (r *result) derive() {
	c := &r.Connect
	c.P50Ms, c.P99Ms, c.MaxMs = c.Hist.Quantile(0.5), c.Hist.Quantile(0.99), c.Hist.Quantile(1)
	if c.ElapsedS > 0 {
		c.PerS = float64(c.OK) / c.ElapsedS
	}
	if b := r.Broadcast; b != nil {
		b.Lost = b.Expected - b.Delivered
		b.P50Ms, b.P99Ms, b.MaxMs = b.Hist.Quantile(0.5), b.Hist.Quantile(0.99), b.Hist.Quantile(1)
		b.LastP50Ms, b.LastP99Ms, b.LastMaxMs = quantiles(b.LastMs)
	}
	if rl := r.Reload; rl != nil {
		rl.Lost, rl.Dups = rl.Published-rl.Unique, rl.Received-rl.Unique
		rl.LatP50Ms, rl.LatP99Ms, rl.LatMaxMs = rl.LatHist.Quantile(0.5), rl.LatHist.Quantile(0.99), rl.LatHist.Quantile(1)
	}
	if t := r.Targeted; t != nil {
		if t.Requests > 0 {
			t.Lost = t.OK - t.Delivered
		}
		t.APIP50Ms, t.APIP99Ms = t.APIHist.Quantile(0.5), t.APIHist.Quantile(0.99)
		t.LatP50Ms, t.LatP99Ms = t.LatHist.Quantile(0.5), t.LatHist.Quantile(0.99)
		if t.DurationS > 0 {
			t.ReqPerS = float64(t.Requests) / t.DurationS
			t.AnsweredPerS = float64(t.OK+t.Offline+t.Fail) / t.DurationS
		}
		if t.DeliverS > 0 {
			t.DeliveredPerS = float64(t.Delivered) / t.DeliverS
		}
	}
}

// summarize writes the human summary.
func (r *result) summarize(w io.Writer) {
	if k := r.Wrk; k != nil {
		fmt.Fprintf(w, "wrk: %d requests = %.0f/s, p99 %.2f ms, non-2xx %d, socket errors %d; server CPU %.1f µs per request\n",
			k.Requests, k.ReqPerS, k.P99Ms, k.Non2xx, k.Errors, k.CPUPerReqUs)
		return
	}
	c := r.Connect
	fmt.Fprintf(w, "connect: %d clients: %d logged in, %d failed, %d dropped in %.1f s (%.0f/s); p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		r.Clients, c.OK, c.Failed, c.Dropped, c.ElapsedS, c.PerS, c.P50Ms, c.P99Ms, c.MaxMs)
	if s := r.Server; s != nil {
		for _, x := range s.Samples {
			fmt.Fprintf(w, "server at %d clients: RSS %.1f → %.1f MB, %.1f KB per connection", x.Online,
				float64(s.RSSBeforeKB)/1024, float64(x.RSSKB)/1024, x.RSSPerConnKB)
			if x.IdleS > 0 {
				fmt.Fprintf(w, "; idle CPU %.1f%% of a core over %.0f s", x.IdleCPUPct, x.IdleS)
			}
			fmt.Fprintln(w)
		}
	}
	if b := r.Broadcast; b != nil {
		if b.Group != "" {
			fmt.Fprintf(w, "group %q ", b.Group)
		}
		fmt.Fprintf(w, "broadcast: %d sent (of %d): delivered %d of %d, lost %d, duplicates %d; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; last client p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			b.Sent, b.K, b.Delivered, b.Expected, b.Lost, b.Dups, b.P50Ms, b.P99Ms, b.MaxMs, b.LastP50Ms, b.LastP99Ms, b.LastMaxMs)
	}
	if t := r.Targeted; t != nil {
		if t.Batch > 1 {
			fmt.Fprintf(w, "in batches of %d, ", t.Batch)
		}
		if t.ToOffline {
			fmt.Fprintf(w, "to offline uids (ttl %d), ", t.TTL)
		}
		fmt.Fprintf(w, "targeted: %d requests in %.1f s = %.0f/s (ok %d, offline %d, fail %d, errors %d); API p50 %.2f ms, p99 %.2f ms; delivered %d = %.0f/s, lost %d; latency p50 %.1f ms, p99 %.1f ms\n",
			t.Requests, t.DurationS, t.ReqPerS, t.OK, t.Offline, t.Fail, t.Errors, t.APIP50Ms, t.APIP99Ms,
			t.Delivered, t.DeliveredPerS, t.Lost, t.LatP50Ms, t.LatP99Ms)
	}
	if rl := r.Reload; rl != nil {
		fmt.Fprintf(w, "reload: uid %s on %d instance(s), a reload every %.3g s (gap %.3g s), %d reloads (%d dropped, %d pages not logged in); "+
			"%d pushes in %.1f s with ttl %d (ok %d, offline %d, fail %d, errors %d); received %d, unique %d (%d while a page closed), lost %d (%d answered ok to a closing page), duplicated %d; "+
			"held tail %.2f s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			rl.UID, rl.Instances, rl.EveryS, rl.GapS, rl.Reloads, rl.Dropped, rl.PageErrors,
			rl.Published, rl.DurationS, rl.TTL, rl.OK, rl.Offline, rl.Fail, rl.Errors, rl.Received, rl.Unique, rl.InClose, rl.Lost, rl.LostOKClosing, rl.Dups,
			rl.TailS, rl.LatP50Ms, rl.LatP99Ms, rl.LatMaxMs)
	}
	if r.Foreign > 0 {
		fmt.Fprintf(w, "foreign new_msg contents: %d\n", r.Foreign)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "errors (first few):\n  %s\n", strings.Join(r.Errors, "\n  "))
	}
}

// quantiles returns the median, 99th percentile and maximum of v, by
// nearest rank.
func quantiles(v []float64) (p50, p99, maxV float64) {
	if len(v) == 0 {
		return 0, 0, 0
	}
	s := sortedCopy(v)
	return nearestRank(s, 0.5), nearestRank(s, 0.99), s[len(s)-1]
}
