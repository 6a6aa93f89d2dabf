package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// bench is one run: the clients, what they received, and the scenarios.
type bench struct {
	cfg  *config
	sink *sink
	pool *pool
	errs errorSample
}

func newBench(cfg *config) *bench {
	s := &sink{}
	return &bench{cfg: cfg, sink: s, pool: newPool(cfg.pool, s)}
}

// run connects the clients (in -steps, sampling the server after each
// when -pid names it), runs the scenarios in order and returns the
// result, partial if ctx ended early.
func (b *bench) run(ctx context.Context) (*result, error) {
	cfg := b.cfg
	r := &result{Label: cfg.label, Run: cfg.run, Scenario: strings.Join(cfg.scenarios, ","), Clients: cfg.n}
	if cfg.pool.transport != kindSocketIO {
		r.Transport = cfg.pool.transport
	}
	if len(cfg.pids) > 0 {
		before, err := rssKB(cfg.pids)
		if err != nil {
			return nil, err
		}
		r.Server = &serverResult{PIDs: cfg.pids, RSSBeforeKB: before}
	}
	from, steps := 0, append(cfg.steps, cfg.n)
	for i, step := range steps {
		r.Connect.ElapsedS += b.pool.Connect(ctx, from, step).Seconds()
		from = step
		b.awaitPages(ctx)
		if r.Server != nil && ctx.Err() == nil {
			b.sample(ctx, r.Server, step, i == len(steps)-1)
		}
	}
	var sent int
	var pub *targetedResult
	for _, s := range cfg.scenarios {
		switch s {
		case "connect", "hold":
			sleepUntil(ctx, time.Now().Add(cfg.duration))
		case "broadcast":
			sent = b.broadcast(ctx)
		case "targeted":
			pub = b.targeted(ctx)
		case "reload":
			r.Reload = b.reload(ctx)
		}
	}
	b.pool.Close(cfg.pool.timeout)
	b.collect(r, sent, pub)
	return r, nil
}

// collect fills r from the pool and the sink once the clients are gone.
func (b *bench) collect(r *result, sent int, pub *targetedResult) {
	p := b.pool
	r.Connect.OK, r.Connect.Failed, r.Connect.Dropped = p.ok.Load(), p.failed.Load(), p.dropped.Load()
	r.Connect.Hist = &p.connectHist
	r.Foreign = b.sink.foreign.Load()
	r.Errors = append(p.errs.list(), b.errs.list()...)
	online := p.Online()
	if k := b.sink.bcast.k.Load(); sent > 0 || k > 0 {
		if sent > 0 {
			k = int64(b.cfg.k)
		}
		br := &broadcastResult{Group: b.cfg.group, Sent: sent, K: k, Expected: k * online, Dups: b.sink.bcast.dups.Load(),
			Hist: &b.sink.bcast.lat, LastMs: make([]float64, k)}
		for seq := range br.LastMs {
			br.Delivered += b.sink.bcast.got[seq].Load()
			br.LastMs[seq] = float64(b.sink.bcast.last[seq].Load()) / 1000
		}
		r.Broadcast = br
	}
	if got := b.sink.targeted.Load(); pub != nil || got > 0 {
		if pub == nil {
			pub = &targetedResult{APIHist: &hist{}}
		}
		pub.Delivered, pub.LatHist = got, &b.sink.targetLat
		r.Targeted = pub
	}
}

// sample lets the server settle, then reads its RSS and, at the last step
// with -idle, its CPU time over that long.
func (b *bench) sample(ctx context.Context, srv *serverResult, step int, last bool) {
	if !sleepUntil(ctx, time.Now().Add(b.cfg.settle)) {
		return
	}
	x := serverSample{Step: step, Online: b.pool.Online()}
	rss, err := rssKB(srv.PIDs)
	if err != nil {
		b.errs.add(err)
		return
	}
	x.RSSKB = rss
	if x.Online > 0 {
		x.RSSPerConnKB = float64(rss-srv.RSSBeforeKB) / float64(x.Online)
	}
	if last && b.cfg.idle > 0 {
		t0, err := cpuTicks(srv.PIDs)
		start := time.Now()
		sleepUntil(ctx, start.Add(b.cfg.idle))
		t1, err1 := cpuTicks(srv.PIDs)
		if err != nil || err1 != nil {
			b.errs.add(fmt.Errorf("sampling the server CPU: %w", errors.Join(err, err1)))
		} else if x.IdleS = time.Since(start).Seconds(); x.IdleS > 0 {
			x.IdleCPUPct = float64(t1-t0) / clockTicks / x.IdleS * 100
		}
	}
	srv.Samples = append(srv.Samples, x)
}

// awaitPages waits until the API counts -await pages (by default this
// process's logged-in clients), so that no scenario starts on a server
// still catching up. A shortfall is reported, not fatal: losses show it.
func (b *bench) awaitPages(ctx context.Context) {
	want := int64(b.cfg.await)
	if want < 0 {
		want = b.pool.Online()
	}
	if want == 0 {
		return
	}
	api := newAPIConn(b.cfg.apiAddrs[0], b.cfg.pool.timeout)
	defer api.Close()
	deadline := time.Now().Add(b.cfg.pool.timeout)
	var last int64
	for ctx.Err() == nil && time.Now().Before(deadline) {
		var counts struct{ Pages int64 }
		_, body, err := api.Get("/?type=count")
		if err == nil && json.Unmarshal(body, &counts) == nil {
			if last = counts.Pages; last >= want {
				return
			}
		}
		sleepUntil(ctx, time.Now().Add(100*time.Millisecond))
	}
	b.errs.add(fmt.Errorf("the API counted %d pages, want %d", last, want))
}
