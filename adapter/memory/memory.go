// Package memory is the single-node Presence: for each uid the client ids
// of its logged-in pages, held in this process (lost at a restart, as the
// pages are).
package memory

import (
	"context"
	"slices"
	"sync"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/push"
)

var _ adapter.Presence = (*Presence)(nil)

// Presence is safe for concurrent use. The zero value is not ready: use New.
type Presence struct {
	mu      sync.RWMutex
	uids    map[string]map[string]struct{} // uid → its pages' client ids
	clients map[string]string              // client id → uid
}

// New returns an empty Presence.
func New() *Presence {
	return &Presence{uids: make(map[string]map[string]struct{}), clients: make(map[string]string)}
}

// Join implements adapter.Presence. A client id joined twice counts once.
func (p *Presence) Join(_ context.Context, uid, client string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.clients[client]; ok {
		return nil
	}
	set := p.uids[uid]
	if set == nil {
		set = make(map[string]struct{}, 1)
		p.uids[uid] = set
	}
	set[client] = struct{}{}
	p.clients[client] = uid
	return nil
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
