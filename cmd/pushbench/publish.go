package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// broadcast sends -k broadcasts through the API, one after the other:
// each is awaited by every online client (or -timeout), then -interval
// passes. With -group, every uid of this process joins the group first
// and the broadcasts are pushes to it. It returns how many the API
// accepted.
func (b *bench) broadcast(ctx context.Context) int {
	apis := make([]*apiConn, len(b.cfg.apiAddrs))
	for i, a := range b.cfg.apiAddrs {
		apis[i] = newAPIConn(a, b.cfg.pool.timeout)
		defer apis[i].Close()
	}
	push := "/?type=publish&content="
	if b.cfg.group != "" {
		if err := b.joinGroup(ctx, apis[0]); err != nil {
			b.errs.add(err)
			return 0
		}
		push = "/?type=publish&group=" + url.QueryEscape(b.cfg.group) + "&content="
	}
	online, sent := b.pool.Online(), 0
	for seq := 0; seq < b.cfg.k && ctx.Err() == nil; seq++ {
		content := broadcastContent(seq, b.cfg.k, time.Now())
		status, body, err := apis[seq%len(apis)].Get(push + content)
		if err = answerError(status, body, err); err != nil {
			b.errs.add(fmt.Errorf("broadcast %d: %w", seq, err))
			continue
		}
		sent++
		deadline := time.Now().Add(b.cfg.pool.timeout)
		for b.sink.bcast.got[seq].Load() < online && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(200 * time.Microsecond)
		}
		sleepUntil(ctx, time.Now().Add(b.cfg.interval))
	}
	return sent
}

// maxBatch is the most uids a join names and the most publishes a batch
// carries: the API's default api.max_batch.
const maxBatch = 1000

// joinGroup joins every uid of this process's clients to -group through
// the API, maxBatch uids a request, then waits (up to -timeout) until the
// API counts every online client's page in the group.
func (b *bench) joinGroup(ctx context.Context, api *apiConn) error {
	group := url.QueryEscape(b.cfg.group)
	first := b.cfg.pool.uidOffset
	for from := 0; from < b.cfg.n; from += maxBatch {
		target := []byte("/?type=join&group=" + group + "&uid=")
		for i := from; i < min(from+maxBatch, b.cfg.n); i++ {
			if i > from {
				target = append(target, ',')
			}
			target = append(target, uid(first+i)...)
		}
		status, body, err := api.Get(string(target))
		if err = answerError(status, body, err); err != nil {
			return fmt.Errorf("joining uids %d… to group %q: %w", first+from, b.cfg.group, err)
		}
	}
	want := b.pool.Online()
	deadline := time.Now().Add(b.cfg.pool.timeout)
	var last int64
	for ctx.Err() == nil && time.Now().Before(deadline) {
		var counts struct{ Pages int64 }
		_, body, err := api.Get("/?type=count&group=" + group)
		if err == nil && json.Unmarshal(body, &counts) == nil {
			if last = counts.Pages; last >= want {
				return nil
			}
		}
		sleepUntil(ctx, time.Now().Add(50*time.Millisecond))
	}
	return fmt.Errorf("group %q: the API counted %d pages, want %d", b.cfg.group, last, want)
}

// answerError is nil for a 200 ok, else says what came back.
func answerError(status int, body []byte, err error) error {
	switch {
	case err != nil:
		return err
	case status != 200 || string(body) != answerOK:
		return fmt.Errorf("answered %d %q, want 200 %q", status, body, answerOK)
	}
	return nil
}

const answerOK = "ok"

// targeted publishes to random online uids (with -offline, uids no page
// has) from -c workers, each on its own keep-alive connection, for
// -duration; then it waits (up to -timeout) until every publish answered
// ok has been delivered here.
func (b *bench) targeted(ctx context.Context) *targetedResult {
	t := &targetedResult{APIHist: &hist{}, ToOffline: b.cfg.offline, TTL: max(b.cfg.ttl, 0)}
	if b.cfg.batch > 1 {
		t.Batch = b.cfg.batch
	}
	first, span := b.cfg.pool.uidOffset, b.cfg.n
	if b.cfg.targetAll > 0 {
		first, span = 0, b.cfg.targetAll
	}
	if span == 0 {
		b.errs.add(fmt.Errorf("targeted: no uid to publish to (-n 0 and no -target-all)"))
		return t
	}
	name, ttl := uid, ttlParam(b.cfg.ttl)
	if b.cfg.offline {
		name = offlineUID
	}
	pick := func() string { return name(first + rand.IntN(span)) }
	var requests, ok, offline, fail, errs atomic.Int64
	start := time.Now()
	deadline := start.Add(b.cfg.duration)
	var wg sync.WaitGroup
	for w := range b.cfg.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			api := newAPIConn(b.cfg.apiAddrs[w%len(b.cfg.apiAddrs)], b.cfg.pool.timeout)
			defer api.Close()
			var body []byte // a batch's, reused
			for ctx.Err() == nil && time.Now().Before(deadline) {
				at := time.Now()
				var n answers
				var err error
				if b.cfg.batch == 1 {
					n, err = publishOne(api, "/?type=publish&to="+pick()+"&content="+targetedContent(at)+ttl)
				} else {
					body = batchBody(body[:0], b.cfg.batch, pick, at, b.cfg.ttl)
					n, err = publishBatch(api, body, b.cfg.batch)
				}
				requests.Add(1)
				if err != nil {
					errs.Add(1)
					b.errs.add(fmt.Errorf("targeted: %w", err))
					sleepUntil(ctx, time.Now().Add(10*time.Millisecond)) // no busy loop on a dead server
					continue
				}
				ok.Add(n.ok)
				offline.Add(n.offline)
				fail.Add(n.fail)
				t.APIHist.Record(time.Since(at))
			}
		}()
	}
	wg.Wait()
	t.DurationS = time.Since(start).Seconds()
	t.Requests, t.OK, t.Offline, t.Fail, t.Errors = requests.Load(), ok.Load(), offline.Load(), fail.Load(), errs.Load()
	if b.cfg.targetAll == 0 && !b.cfg.offline {
		waitUntil := time.Now().Add(b.cfg.pool.timeout)
		for b.sink.targeted.Load() < t.OK && time.Now().Before(waitUntil) && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	}
	t.DeliverS = time.Since(start).Seconds()
	return t
}

// answers counts the answers of one request's publishes.
type answers struct{ ok, offline, fail int64 }

// offlineUID names uid number g of -offline: no page logs in as it.
func offlineUID(g int) string { return "off" + strconv.Itoa(g) }

// ttlParam is the query's ttl parameter for -ttl (none when -1).
func ttlParam(ttl int) string {
	if ttl < 0 {
		return ""
	}
	return "&ttl=" + strconv.Itoa(ttl)
}

// publishOne sends one publish, target its path and query, with a GET.
func publishOne(api *apiConn, target string) (answers, error) {
	status, body, err := api.Get(target)
	if err != nil || status != 200 {
		return answers{}, answerError(status, body, err)
	}
	switch string(body) {
	case answerOK:
		return answers{ok: 1}, nil
	case "offline":
		return answers{offline: 1}, nil
	}
	return answers{fail: 1}, nil
}

// batchBody appends a JSON-array batch of n targeted contents, each to
// the uid next returns (with "ttl" unless ttl is -1), to buf.
func batchBody(buf []byte, n int, next func() string, at time.Time, ttl int) []byte {
	buf = append(buf, '[')
	for i := range n {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(append(append(append(append(buf, `{"to":"`...), next()...), `","content":"`...), targetedContent(at)...), '"')
		if ttl >= 0 {
			buf = strconv.AppendInt(append(buf, `,"ttl":`...), int64(ttl), 10)
		}
		buf = append(buf, '}')
	}
	return append(buf, ']')
}

// publishBatch posts a batch of n publishes and counts its answers, which
// must be a JSON array of n.
func publishBatch(api *apiConn, body []byte, n int) (answers, error) {
	status, answer, err := api.PostJSON("/", body)
	if err != nil {
		return answers{}, fmt.Errorf("batch of %d: %w", n, err)
	}
	if status != 200 {
		return answers{}, fmt.Errorf("batch of %d: answered %d %.200q, want 200 and an array", n, status, answer)
	}
	var items []struct{ Result string }
	if err := json.Unmarshal(answer, &items); err != nil || len(items) != n {
		return answers{}, fmt.Errorf("batch of %d: answered %d items (%v): %.200q", n, len(items), err, answer)
	}
	var a answers
	for _, it := range items {
		switch it.Result {
		case answerOK:
			a.ok++
		case "offline":
			a.offline++
		default:
			a.fail++
		}
	}
	return a, nil
}
