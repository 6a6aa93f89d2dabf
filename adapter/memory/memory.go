// Package memory is the single-node Presence: for each uid the client ids
// of its logged-in pages, the groups, and the messages held for offline
// uids (adapter.Holder), held in this process (lost at a restart: the
// pages are, the memberships by uid and the held messages with them).
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

	mu      sync.RWMutex
	uids    map[string][]string // uid → its pages' client ids (a few: a slice costs less than a set)
	clients map[string]string   // client id → uid
	// groupsOf is each uid's groups by membership of the uid; members is
	// each group's uids so; pageIn is each group's pages by their own
	// membership, per uid.
	groupsOf map[string]set
	members  map[string]set
	pageIn   map[string]map[string]int64
	// held is each uid's held messages.
	held      map[string]*heldList
	lastSweep time.Time
}

type set = map[string]struct{}

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
		uids: make(map[string][]string), clients: make(map[string]string),
		groupsOf: make(map[string]set), members: make(map[string]set), pageIn: make(map[string]map[string]int64),
		held: make(map[string]*heldList)}
}

// Join implements adapter.Presence. A client id joined twice counts once.
func (p *Presence) Join(_ context.Context, uid, client string, pageGroups []string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.join(uid, client, pageGroups), nil
}

// join records page client of uid and returns uid's groups; p.mu held.
func (p *Presence) join(uid, client string, pageGroups []string) []string {
	groups := make([]string, 0, len(p.groupsOf[uid]))
	for g := range p.groupsOf[uid] {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	if _, ok := p.clients[client]; ok {
		return groups
	}
	p.addPages(uid, pageGroups, 1)
	p.uids[uid] = append(p.uids[uid], client)
	p.clients[client] = uid
	return groups
}

// Leave implements adapter.Presence. Leaving a page that is not recorded
// is a no-op, so a doubled disconnect cannot drive a count negative.
func (p *Presence) Leave(_ context.Context, uid, client string, pageGroups []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if owner, ok := p.clients[client]; !ok || owner != uid {
		return nil
	}
	p.addPages(uid, pageGroups, -1)
	delete(p.clients, client)
	ids := p.uids[uid]
	i := slices.Index(ids, client)
	last := len(ids) - 1
	ids[i], ids[last] = ids[last], ""
	if ids = ids[:last]; len(ids) == 0 {
		delete(p.uids, uid)
	} else {
		p.uids[uid] = ids
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
	r := push.Reach{UIDs: p.online(t.UIDs), Groups: p.groupOnline(t.Groups), Clients: make([]bool, len(t.Clients))}
	for i, c := range t.Clients {
		_, r.Clients[i] = p.clients[c]
	}
	return r, nil
}

// Clients implements adapter.Presence.
func (p *Presence) Clients(_ context.Context, uid, after string, limit int) ([]string, bool, error) {
	p.mu.RLock()
	ids := make([]string, 0, len(p.uids[uid]))
	for _, c := range p.uids[uid] {
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

// PageGroups implements adapter.Presence.
func (p *Presence) PageGroups(_ context.Context, uid string, groups []string, delta int64) error {
	p.mu.Lock()
	p.addPages(uid, groups, delta)
	p.mu.Unlock()
	return nil
}

// addPages adds delta pages of uid to each group; p.mu held.
func (p *Presence) addPages(uid string, groups []string, delta int64) {
	for _, g := range groups {
		in := p.pageIn[g]
		if in == nil {
			if delta < 0 {
				continue
			}
			in = make(map[string]int64)
			p.pageIn[g] = in
		}
		if n := in[uid] + delta; n > 0 {
			in[uid] = n
		} else {
			delete(in, uid)
		}
		if len(in) == 0 {
			delete(p.pageIn, g)
		}
	}
}

// JoinGroups implements adapter.Presence.
func (p *Presence) JoinGroups(_ context.Context, uids, groups []string, max int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, uid := range uids {
		n := len(p.groupsOf[uid])
		for _, g := range groups {
			if _, in := p.groupsOf[uid][g]; !in {
				n++
			}
		}
		if n > max {
			return &adapter.TooManyGroupsError{UID: uid, Max: max}
		}
	}
	for _, uid := range uids {
		for _, g := range groups {
			link(p.groupsOf, uid, g)
			link(p.members, g, uid)
		}
	}
	return nil
}

// LeaveGroups implements adapter.Presence.
func (p *Presence) LeaveGroups(_ context.Context, uids, groups []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, uid := range uids {
		for _, g := range groups {
			unlink(p.groupsOf, uid, g)
			unlink(p.members, g, uid)
		}
	}
	return nil
}

// Ungroup implements adapter.Presence.
func (p *Presence) Ungroup(_ context.Context, groups []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, g := range groups {
		for uid := range p.members[g] {
			unlink(p.groupsOf, uid, g)
		}
		delete(p.members, g)
		delete(p.pageIn, g)
	}
	return nil
}

func link(m map[string]set, k, v string) {
	s := m[k]
	if s == nil {
		s = make(set)
		m[k] = s
	}
	s[v] = struct{}{}
}

func unlink(m map[string]set, k, v string) {
	delete(m[k], v)
	if len(m[k]) == 0 {
		delete(m, k)
	}
}

// GroupOnline implements adapter.Presence.
func (p *Presence) GroupOnline(_ context.Context, groups []string) ([]bool, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.groupOnline(groups), nil
}

// groupOnline is GroupOnline with p.mu held.
func (p *Presence) groupOnline(groups []string) []bool {
	if len(groups) == 0 {
		return nil
	}
	out := make([]bool, len(groups))
	for i, g := range groups {
		out[i] = len(p.pageIn[g]) > 0
		for uid := range p.members[g] {
			if out[i] {
				break
			}
			out[i] = len(p.uids[uid]) > 0
		}
	}
	return out
}

// GroupCounts implements adapter.Presence: the online uid members with all
// their pages, and the pages in it by their own membership whose uid is
// not a member.
func (p *Presence) GroupCounts(_ context.Context, group string) (adapter.Counts, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var c adapter.Counts
	for uid := range p.members[group] {
		if n := int64(len(p.uids[uid])); n > 0 {
			c.UIDs++
			c.Pages += n
		}
	}
	for uid, n := range p.pageIn[group] {
		if _, member := p.members[group][uid]; !member {
			c.UIDs++
			c.Pages += n
		}
	}
	return c, nil
}

// UIDs implements adapter.Presence; each page sorts the uids it lists from.
func (p *Presence) UIDs(_ context.Context, group, cursor string, limit int) ([]string, string, error) {
	cur, err := adapter.DecodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	p.mu.RLock()
	var first, second []string // the phases of the listing
	if group == "" {
		for uid := range p.uids {
			first = append(first, uid)
		}
	} else {
		for uid := range p.members[group] {
			if len(p.uids[uid]) > 0 {
				first = append(first, uid)
			}
		}
		for uid := range p.pageIn[group] {
			if _, member := p.members[group][uid]; !member {
				second = append(second, uid)
			}
		}
	}
	p.mu.RUnlock()
	var out []string
	if !cur.Pages {
		out = after(first, cur.Last, limit)
		if len(out) == limit {
			return out, adapter.Cursor{Last: out[len(out)-1]}.Encode(), nil
		}
		cur = adapter.Cursor{Pages: true}
	}
	more := after(second, cur.Last, limit-len(out))
	out = append(out, more...)
	if len(more) > 0 && len(out) == limit {
		return out, adapter.Cursor{Pages: true, Last: out[len(out)-1]}.Encode(), nil
	}
	if out == nil {
		out = []string{}
	}
	return out, "", nil
}

// after is the first n of uids, sorted, that come after last ("": all).
func after(uids []string, last string, n int) []string {
	slices.Sort(uids)
	i := 0
	if last != "" {
		i, _ = slices.BinarySearch(uids, last)
		if i < len(uids) && uids[i] == last {
			i++
		}
	}
	return slices.Clone(uids[i:min(i+n, len(uids))])
}

// Close implements adapter.Presence; a single node has nothing to remove.
func (p *Presence) Close(context.Context) error { return nil }

// JoinTake implements adapter.Holder.
func (p *Presence) JoinTake(_ context.Context, uid, client string, pageGroups []string) ([]string, []adapter.Held, error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	groups := p.join(uid, client, pageGroups)
	l := p.held[uid]
	if l == nil {
		return groups, nil, nil
	}
	delete(p.held, uid)
	out := make([]adapter.Held, 0, len(l.items))
	for _, it := range l.items {
		if it.expires.After(now) {
			out = append(out, it.Held)
		}
	}
	return groups, out, nil
}

// HoldOffline implements adapter.Holder. A message larger than
// HoldLimits.MaxBytes is not held (it counts as dropped).
func (p *Presence) HoldOffline(_ context.Context, uids, groups []string, h adapter.Held, ttl time.Duration) (adapter.HoldResult, error) {
	now := p.now()
	res := adapter.HoldResult{Online: make([]bool, len(uids))}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(now)
	seen := make(map[string]bool, len(uids))
	hold := func(uid string) {
		if seen[uid] {
			return
		}
		seen[uid] = true
		if len(p.uids[uid]) > 0 || ttl <= 0 {
			return
		}
		res.Held = append(res.Held, uid)
		res.Dropped += p.hold(uid, h, now, now.Add(ttl))
	}
	for i, uid := range uids {
		res.Online[i] = len(p.uids[uid]) > 0
		hold(uid)
	}
	for _, g := range groups {
		members := make([]string, 0, len(p.members[g]))
		for uid := range p.members[g] {
			members = append(members, uid)
		}
		slices.Sort(members)
		for _, uid := range members {
			hold(uid)
		}
	}
	return res, nil
}

// hold appends h, expiring at expires, to uid's held list and returns how
// many messages the limits dropped; p.mu held.
func (p *Presence) hold(uid string, h adapter.Held, now, expires time.Time) int {
	if h.Size() > p.limits.MaxBytes {
		return 1
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
	return l.trim(now, p.limits)
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
