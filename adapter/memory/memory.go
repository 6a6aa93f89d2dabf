// Package memory is the single-node Presence: for each uid the client ids
// of its logged-in pages, and the messages held for offline uids
// (adapter.Holder), held in this process (lost at a restart, as the pages
// are).
package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/push"
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
	uids      map[string]map[string]struct{} // uid → its pages' client ids
	clients   map[string]string              // client id → uid
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
		uids: make(map[string]map[string]struct{}), clients: make(map[string]string), held: make(map[string]*heldList)}
}

// Join implements adapter.Presence. A client id joined twice counts once.
func (p *Presence) Join(_ context.Context, uid, client string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.join(uid, client)
	return nil
}

// join records page client of uid; p.mu held.
func (p *Presence) join(uid, client string) {
	if _, ok := p.clients[client]; ok {
		return
	}
	set := p.uids[uid]
	if set == nil {
		set = make(map[string]struct{}, 1)
		p.uids[uid] = set
	}
	set[client] = struct{}{}
	p.clients[client] = uid
}

// Leave implements adapter.Presence. Leaving a page that is not recorded
// is a no-op, so a doubled disconnect cannot drive a count negative.
func (p *Presence) Leave(_ context.Context, uid, client string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if owner, ok := p.clients[client]; !ok || owner != uid {
		return nil
	}
	delete(p.clients, client)
	set := p.uids[uid]
	delete(set, client)
	if len(set) == 0 {
		delete(p.uids, uid)
	}
	return nil
}

// Online implements adapter.Presence.
func (p *Presence) Online(_ context.Context, uids []string) ([]bool, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.online(uids), nil
}

// online is Online with p.mu held.
func (p *Presence) online(uids []string) []bool {
	out := make([]bool, len(uids))
	for i, uid := range uids {
		out[i] = len(p.uids[uid]) > 0
	}
	return out
}

// Reach implements adapter.Presence.
func (p *Presence) Reach(_ context.Context, t push.Targets) (push.Reach, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	r := push.Reach{UIDs: p.online(t.UIDs), Clients: make([]bool, len(t.Clients))}
	for i, c := range t.Clients {
		_, r.Clients[i] = p.clients[c]
	}
	return r, nil
}

// Clients implements adapter.Presence.
func (p *Presence) Clients(_ context.Context, uid, after string, limit int) ([]string, bool, error) {
	p.mu.RLock()
	ids := make([]string, 0, len(p.uids[uid]))
	for c := range p.uids[uid] {
		if c > after {
			ids = append(ids, c)
		}
	}
	p.mu.RUnlock()
	slices.Sort(ids)
	if len(ids) > limit {
		return ids[:limit:limit], true, nil
	}
	return ids, false, nil
}

// Counts implements adapter.Presence.
func (p *Presence) Counts(context.Context) (adapter.Counts, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return adapter.Counts{UIDs: int64(len(p.uids)), Pages: int64(len(p.clients))}, nil
}

// Close implements adapter.Presence; a single node has nothing to remove.
func (p *Presence) Close(context.Context) error { return nil }

// JoinTake implements adapter.Holder.
func (p *Presence) JoinTake(_ context.Context, uid, client string) ([]adapter.Held, error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.join(uid, client)
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
		if online[i] = len(p.uids[uid]) > 0; online[i] || ttl <= 0 {
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
