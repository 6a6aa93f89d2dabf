// Package memory is the single-node Presence: a map from uid to its number
// of logged-in sockets, and the messages held for offline uids
// (adapter.Holder), all in this process: a restart loses them.
package memory

import (
	"context"
	"sync"
	"time"

	"github.com/pushio/pushio/adapter"
)

var _ adapter.Holder = (*Presence)(nil)

// sweepEvery is the least time between two sweeps of expired held lists:
// a uid that never logs in again must not keep its messages forever.
const sweepEvery = time.Second

// Presence is safe for concurrent use. The zero value is not ready: use New.
type Presence struct {
	limits adapter.HoldLimits
	now    func() time.Time

	mu        sync.RWMutex
	uids      map[string]int64
	pages     int64
	held      map[string]*heldList
	lastSweep time.Time
}

// heldList is one uid's held messages, oldest first.
type heldList struct {
	items   []heldItem
	bytes   int64
	expires time.Time // that of its longest-lived message
}

type heldItem struct {
	adapter.Held
	expires time.Time
}

// New returns an empty Presence holding messages within the default limits.
func New() *Presence { return NewLimited(adapter.HoldLimits{}) }

// NewLimited returns an empty Presence holding messages within limits.
func NewLimited(limits adapter.HoldLimits) *Presence {
	return &Presence{limits: limits.WithDefaults(), now: time.Now,
		uids: make(map[string]int64), held: make(map[string]*heldList)}
}

// Join implements adapter.Presence.
func (p *Presence) Join(_ context.Context, uid string) error {
	p.mu.Lock()
	p.join(uid)
	p.mu.Unlock()
	return nil
}

// join records a socket of uid; p.mu held.
func (p *Presence) join(uid string) {
	p.uids[uid]++
	p.pages++
}

// Leave implements adapter.Presence. Leaving a uid that has no socket is a
// no-op, so a doubled disconnect cannot drive a count negative.
func (p *Presence) Leave(_ context.Context, uid string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, ok := p.uids[uid]
	if !ok {
		return nil
	}
	p.pages--
	if n <= 1 {
		delete(p.uids, uid)
		return nil
	}
	p.uids[uid] = n - 1
	return nil
}

// Online implements adapter.Presence.
func (p *Presence) Online(_ context.Context, uids []string) ([]bool, error) {
	out := make([]bool, len(uids))
	p.mu.RLock()
	for i, uid := range uids {
		out[i] = p.uids[uid] > 0
	}
	p.mu.RUnlock()
	return out, nil
}

// Counts implements adapter.Presence.
func (p *Presence) Counts(context.Context) (adapter.Counts, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return adapter.Counts{UIDs: int64(len(p.uids)), Pages: p.pages}, nil
}

// Close implements adapter.Presence; a single node has nothing to remove.
func (p *Presence) Close(context.Context) error { return nil }

// JoinTake implements adapter.Holder.
func (p *Presence) JoinTake(_ context.Context, uid string) ([]adapter.Held, error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.join(uid)
	l := p.held[uid]
	if l == nil {
		return nil, nil
	}
	delete(p.held, uid)
	out := make([]adapter.Held, 0, len(l.items))
	for _, it := range l.items {
		if it.expires.After(now) {
			out = append(out, it.Held)
		}
	}
	return out, nil
}

// HoldOffline implements adapter.Holder. A message larger than
// HoldLimits.MaxBytes is not held (it counts as dropped).
func (p *Presence) HoldOffline(_ context.Context, uids []string, h adapter.Held, ttl time.Duration) ([]bool, int, error) {
	now := p.now()
	expires := now.Add(ttl)
	online := make([]bool, len(uids))
	dropped := 0
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(now)
	for i, uid := range uids {
		if online[i] = p.uids[uid] > 0; online[i] || ttl <= 0 {
			continue
		}
		if h.Size() > p.limits.MaxBytes {
			dropped++
			continue
		}
		l := p.held[uid]
		if l == nil || !l.expires.After(now) {
			l = &heldList{}
			p.held[uid] = l
		}
		l.items = append(l.items, heldItem{Held: h, expires: expires})
		l.bytes += h.Size()
		if expires.After(l.expires) {
			l.expires = expires
		}
		dropped += l.trim(now, p.limits)
	}
	return online, dropped, nil
}

// trim drops the oldest messages while l is over limits, and the expired
// ones at its head; it returns how many it dropped within the limits.
func (l *heldList) trim(now time.Time, limits adapter.HoldLimits) int {
	dropped := 0
	for len(l.items) > 0 {
		head := l.items[0]
		over := len(l.items) > limits.MaxMessages || l.bytes > limits.MaxBytes
		if !over && head.expires.After(now) {
			break
		}
		if over && head.expires.After(now) {
			dropped++
		}
		l.items[0] = heldItem{}
		l.items = l.items[1:]
		l.bytes -= head.Size()
	}
	return dropped
}

// sweep forgets the lists whose every message expired, at most once per
// sweepEvery; p.mu held.
func (p *Presence) sweep(now time.Time) {
	if now.Sub(p.lastSweep) < sweepEvery {
		return
	}
	p.lastSweep = now
	for uid, l := range p.held {
		if !l.expires.After(now) {
			delete(p.held, uid)
		}
	}
}

// HoldLimits implements adapter.Holder.
func (p *Presence) HoldLimits() adapter.HoldLimits { return p.limits }

// HeldCount implements adapter.Holder.
func (p *Presence) HeldCount(_ context.Context, uid string) (int, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.count(uid, p.now()), nil
}

// Purge implements adapter.Holder.
func (p *Presence) Purge(_ context.Context, uid string) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.count(uid, p.now())
	delete(p.held, uid)
	return n, nil
}

// count is how many of uid's held messages live at now; p.mu held.
func (p *Presence) count(uid string, now time.Time) int {
	n := 0
	if l := p.held[uid]; l != nil {
		for _, it := range l.items {
			if it.expires.After(now) {
				n++
			}
		}
	}
	return n
}
