package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// broadcast sends -k broadcasts through the API, one after the other:
// each is awaited by every online client (or -timeout), then -interval
// passes. It returns how many the API accepted.
func (b *bench) broadcast(ctx context.Context) int {
	apis := make([]*apiConn, len(b.cfg.apiAddrs))
	for i, a := range b.cfg.apiAddrs {
		apis[i] = newAPIConn(a, b.cfg.pool.timeout)
		defer apis[i].Close()
	}
	online, sent := b.pool.Online(), 0
	for seq := 0; seq < b.cfg.k && ctx.Err() == nil; seq++ {
		content := broadcastContent(seq, b.cfg.k, time.Now())
		status, body, err := apis[seq%len(apis)].Get("/?type=publish&content=" + content)
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

// targeted publishes to random online uids from -c workers, each on its
// own keep-alive connection, for -duration; then it waits (up to
// -timeout) until every publish answered ok has been delivered here.
func (b *bench) targeted(ctx context.Context) *targetedResult {
	t := &targetedResult{APIHist: &hist{}}
	first, span := b.cfg.pool.uidOffset, b.cfg.n
	if b.cfg.targetAll > 0 {
		first, span = 0, b.cfg.targetAll
	}
	if span == 0 {
		b.errs.add(fmt.Errorf("targeted: no uid to publish to (-n 0 and no -target-all)"))
		return t
	}
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
			for ctx.Err() == nil && time.Now().Before(deadline) {
				at := time.Now()
				target := "/?type=publish&to=" + uid(first+rand.IntN(span)) + "&content=" + targetedContent(at)
				status, body, err := api.Get(target)
				requests.Add(1)
				switch {
				case err != nil || status != 200:
					errs.Add(1)
					b.errs.add(fmt.Errorf("targeted: %w", answerError(status, body, err)))
					sleepUntil(ctx, time.Now().Add(10*time.Millisecond)) // no busy loop on a dead server
					continue
				case string(body) == answerOK:
					ok.Add(1)
				case string(body) == "offline":
					offline.Add(1)
				default:
					fail.Add(1)
				}
				t.APIHist.Record(time.Since(at))
			}
		}()
	}
	wg.Wait()
	t.DurationS = time.Since(start).Seconds()
	t.Requests, t.OK, t.Offline, t.Fail, t.Errors = requests.Load(), ok.Load(), offline.Load(), fail.Load(), errs.Load()
	if b.cfg.targetAll == 0 {
		waitUntil := time.Now().Add(b.cfg.pool.timeout)
		for b.sink.targeted.Load() < t.OK && time.Now().Before(waitUntil) && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	}
	t.DeliverS = time.Since(start).Seconds()
	return t
}
