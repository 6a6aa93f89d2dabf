// Package memory is the single-node Presence: a map from uid to its number
// of logged-in sockets, held in this process.
package memory

import (
	"context"
	"sync"

	"github.com/pushio/pushio/adapter"
)

var _ adapter.Presence = (*Presence)(nil)

// Presence is safe for concurrent use. The zero value is not ready: use New.
type Presence struct {
	mu    sync.RWMutex
	uids  map[string]int64
	pages int64
}

// New returns an empty Presence.
func New() *Presence {
	return &Presence{uids: make(map[string]int64)}
}

// Join implements adapter.Presence.
func (p *Presence) Join(_ context.Context, uid string) error {
	p.mu.Lock()
	p.uids[uid]++
	p.pages++
	p.mu.Unlock()
	return nil
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
