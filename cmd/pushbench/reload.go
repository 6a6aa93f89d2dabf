package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The reload scenario is one page that reloads as a browser page does,
// every -reload-every: its websocket closed (a close frame, 1001 going
// away), -reload-gap while the new page loads, then a fresh connection and
// a fresh login — no connection state recovery: pushbench's client sends
// no pid, as socket.io-client before 4.6 and every reloaded page do —
// each page on the next of the -io addresses. Meanwhile pushes go to the
// page's uid at -push-rate, with ttl=-ttl, from the -api addresses in
// turn: one that finds no page is held and given to the next login. Each
// push's content is
//
//	r.SEQ.UNIXNANO
//
// so that pushes lost (published, never received) and duplicated
// (received again) are counted, and each one's delay measured.

// reloadOptions are the reload scenario's flags.
type reloadOptions struct {
	rate  float64       // pushes a second
	every time.Duration // between reloads
	gap   time.Duration // from a page's close to the next page's connect
}

// reloadTTL is the reload scenario's ttl when -ttl is not given.
const reloadTTL = 30

// maxReloadSeq bounds the sequence numbers a tally keeps (50 hours at
// 100 pushes a second).
const maxReloadSeq = 1 << 24

// reloadTally counts the pushes the reload scenario's pages received, by
// sequence number; safe for concurrent use.
type reloadTally struct {
	mu       sync.Mutex
	got      []int32 // times each sequence number was received
	unique   int64
	received int64
	inClose  int64
	lat      hist
}

func reloadContent(seq int, at time.Time) string {
	return "r." + strconv.Itoa(seq) + "." + strconv.FormatInt(at.UnixNano(), 10)
}

// record tallies content received at at by a page, closing once the page
// has begun to close; false when content is not a reload push.
func (t *reloadTally) record(content []byte, at time.Time, closing bool) bool {
	rest, ok := bytes.CutPrefix(content, []byte("r."))
	seqText, sentText, ok2 := bytes.Cut(rest, []byte("."))
	seq, err1 := strconv.Atoi(string(seqText))
	sent, err2 := strconv.ParseInt(string(sentText), 10, 64)
	if !ok || !ok2 || err1 != nil || err2 != nil || seq < 0 || seq >= maxReloadSeq {
		return false
	}
	t.lat.Record(at.Sub(time.Unix(0, sent)))
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq >= len(t.got) {
		t.got = append(t.got, make([]int32, seq+1-len(t.got))...)
	}
	if t.got[seq]++; t.got[seq] == 1 {
		t.unique++
	}
	t.received++
	if closing {
		t.inClose++
	}
	return true
}

// times is how often sequence number seq was received; t.mu held.
func (t *reloadTally) times(seq int) int32 {
	if seq < len(t.got) {
		return t.got[seq]
	}
	return 0
}

func (t *reloadTally) counts() (unique, received, inClose int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.unique, t.received, t.inClose
}

// page is one page of the reload scenario, logged in.
type page struct {
	t       *wsTransport
	ended   chan error // serve's end
	closing atomic.Bool
}

// openPage connects a page of uid to addr and waits (up to -timeout) for
// its login.
func (b *bench) openPage(ctx context.Context, addr, uid string, tally *reloadTally) (*page, error) {
	pg := &page{ended: make(chan error, 1)}
	ready := make(chan struct{})
	c := &client{uid: uid, newMsg: func(content []byte, at time.Time, _ *int) {
		if !tally.record(content, at, pg.closing.Load()) {
			b.sink.foreign.Add(1)
		}
	}}
	start := time.Now()
	if _, err := b.pool.dialPage(ctx, addr, sourceAddr(b.cfg.pool.uidOffset, b.cfg.pool.perSource), c, kindSocketIO); err != nil {
		return nil, fmt.Errorf("reload: a page connecting to %s: %w", addr, err)
	}
	pg.t = c.t.(*wsTransport)
	_ = c.t.SetReadDeadline(start.Add(b.cfg.pool.timeout))
	c.loggedIn = func() {
		_ = c.t.SetReadDeadline(time.Time{})
		close(ready)
	}
	go func() { pg.ended <- c.t.serve(c) }()
	select {
	case <-ready:
		return pg, nil
	case err := <-pg.ended:
		return nil, fmt.Errorf("reload: a page logging in on %s: %w", addr, err)
	case <-ctx.Done():
		_ = c.t.Close()
		return nil, ctx.Err()
	}
}

// closePage closes pg as a browser unloading it does, and waits (up to
// -timeout) for the server's end of the connection: what arrives until
// then is received, counted as received by a closing page (a browser
// reads it but shows it on no page). True when the server had ended the
// connection before.
func (b *bench) closePage(pg *page) (dropped bool) {
	select {
	case err := <-pg.ended:
		b.errs.add(fmt.Errorf("reload: a page's connection ended before its reload: %w", err))
		return true
	default:
	}
	pg.closing.Store(true)
	if err := pg.t.goAway(); err != nil {
		b.errs.add(fmt.Errorf("reload: closing a page: %w", err))
		_ = pg.t.Close()
	}
	timer := time.NewTimer(b.cfg.pool.timeout)
	defer timer.Stop()
	select {
	case <-pg.ended:
	case <-timer.C:
		b.errs.add(errors.New("reload: the server did not end a closing page's connection within -timeout"))
		_ = pg.t.Close()
		<-pg.ended
	}
	return false
}

// reload runs the reload scenario for -duration, then waits (up to
// -timeout) for the held tail: the pushes of the last gap, held for the
// last page's login.
func (b *bench) reload(ctx context.Context) *reloadResult {
	cfg, o := b.cfg, b.cfg.reload
	ttl := cfg.ttl
	if ttl < 0 {
		ttl = reloadTTL
	}
	name := "reload" + strconv.Itoa(cfg.pool.uidOffset)
	tally := &reloadTally{}
	r := &reloadResult{UID: name, PushRate: o.rate, TTL: ttl, EveryS: o.every.Seconds(), GapS: o.gap.Seconds(),
		Instances: len(cfg.pool.ioAddrs), LatHist: &tally.lat}
	opened := 0
	var gaps []interval // from a page's close frame to the next page's dial: no page open
	open := func() *page {
		if n := len(gaps); n > 0 && gaps[n-1].to.IsZero() {
			gaps[n-1].to = time.Now()
		}
		pg, err := b.openPage(ctx, cfg.pool.ioAddrs[opened%len(cfg.pool.ioAddrs)], name, tally)
		opened++
		if err != nil {
			r.PageErrors++
			b.errs.add(err)
		}
		return pg
	}
	pg := open()
	start := time.Now()
	end := start.Add(cfg.duration)
	published := make(chan reloadPublished, 1)
	go func() { published <- b.reloadPublish(ctx, name, ttl, start, end) }()
	for i := 1; ctx.Err() == nil; i++ {
		// A page reloads at no particular moment of the pushes' rhythm.
		due := start.Add(time.Duration(i)*o.every + rand.N(time.Duration(float64(time.Second)/o.rate)))
		if !due.Before(end) || !sleepUntil(ctx, due) {
			break
		}
		if pg != nil {
			gaps = append(gaps, interval{from: time.Now()})
			if b.closePage(pg) {
				r.Dropped++
			}
			r.Reloads++
			sleepUntil(ctx, time.Now().Add(o.gap))
		}
		pg = open()
	}
	pub := <-published
	r.DurationS = pub.durationS
	r.Published, r.OK, r.Offline, r.Fail, r.Errors = pub.published, pub.n.ok, pub.n.offline, pub.n.fail, pub.errors
	tail := time.Now()
	if pg == nil && ctx.Err() == nil {
		pg = open() // the held tail needs a page
	}
	deadline := tail.Add(cfg.pool.timeout)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		if unique, _, _ := tally.counts(); unique >= r.Published {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.TailS = time.Since(tail).Seconds()
	if pg != nil && b.closePage(pg) {
		r.Dropped++
	}
	r.Unique, r.Received, r.InClose = tally.counts()
	r.LostOKClosing = tally.lostOKIn(pub.sent, gaps)
	r.Missed = tally.missed(pub.sent, start, len(b.cfg.apiAddrs))
	return r
}

// maxMissed bounds reloadResult.Missed.
const maxMissed = 20

// missed describes the first maxMissed pushes of sent (published from
// start, each through the next of apis addresses) received never or
// more than once.
func (t *reloadTally) missed(sent []sentPush, start time.Time, apis int) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for seq, p := range sent {
		got := t.times(seq)
		if got == 1 || len(out) == maxMissed {
			continue
		}
		answer := "not ok"
		if p.ok {
			answer = "ok"
		}
		out = append(out, fmt.Sprintf("push %d received %d times: answered %s by api %d, sent at %.3f s, answered in %.1f ms",
			seq, got, answer, seq%max(apis, 1), p.start.Sub(start).Seconds(), float64(p.end.Sub(p.start).Microseconds())/1000))
	}
	return out
}

// interval is a span of time; to is zero while it lasts.
type interval struct{ from, to time.Time }

// sentPush is one publish of the reload scenario: when its request
// started and was answered, and whether the answer was ok.
type sentPush struct {
	start, end time.Time
	ok         bool
}

// lostOKIn counts the pushes never received that were answered ok while
// in a gap between pages: while the old page was closing or gone and
// before the new one connected, so handed by the server to a page it was
// closing.
func (t *reloadTally) lostOKIn(sent []sentPush, gaps []interval) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for seq, p := range sent {
		if !p.ok || t.times(seq) > 0 {
			continue
		}
		for _, g := range gaps {
			if p.end.After(g.from) && (g.to.IsZero() || p.start.Before(g.to)) {
				n++
				break
			}
		}
	}
	return n
}

// reloadPublished is what the reload scenario's publisher did.
type reloadPublished struct {
	published, errors int64
	n                 answers
	durationS         float64
	sent              []sentPush // by sequence number
}

// reloadPublish publishes to uid at -push-rate from start until end,
// with ttl=ttl, each push to the next -api address; a request that fails
// is counted, not retried.
func (b *bench) reloadPublish(ctx context.Context, uid string, ttl int, start, end time.Time) reloadPublished {
	apis := make([]*apiConn, len(b.cfg.apiAddrs))
	for i, a := range b.cfg.apiAddrs {
		apis[i] = newAPIConn(a, b.cfg.pool.timeout)
		defer apis[i].Close()
	}
	var p reloadPublished
	target := "/?type=publish&to=" + uid + ttlParam(ttl) + "&content="
	for seq := 0; ; seq++ {
		due := start.Add(time.Duration(float64(seq) / b.cfg.reload.rate * float64(time.Second)))
		if !due.Before(end) || !sleepUntil(ctx, due) {
			break
		}
		at := time.Now()
		n, err := publishOne(apis[seq%len(apis)], target+reloadContent(seq, at))
		p.published++
		p.sent = append(p.sent, sentPush{start: at, end: time.Now(), ok: err == nil && n.ok == 1})
		if err != nil {
			p.errors++
			b.errs.add(fmt.Errorf("reload: publish %d: %w", seq, err))
			continue
		}
		p.n.ok, p.n.offline, p.n.fail = p.n.ok+n.ok, p.n.offline+n.offline, p.n.fail+n.fail
	}
	p.durationS = time.Since(start).Seconds()
	return p
}
