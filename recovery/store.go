package recovery

import (
	"context"
	"sync"
	"time"
)

// Store keeps parked sessions and their entries for a window from when
// each was parked, and at most a number of entries each: a session past
// it is dropped, so that its recovery fails rather than misses packets.
type Store interface {
	// Park keeps s and its entries under pid (replacing what was there);
	// with more entries than the bound, nothing is kept.
	Park(ctx context.Context, pid string, s Session, entries []Entry) error
	// Append adds e to the session parked under pid; false when there
	// is none (taken, expired, never parked, or dropped now for going
	// past the bound).
	Append(ctx context.Context, pid string, e Entry) (bool, error)
	// Take returns and forgets the session parked under pid, at once for
	// every instance: of two takes, one gets it.
	Take(ctx context.Context, pid string) (s Session, entries []Entry, ok bool, err error)
	// Parked reports whether a session is parked under pid.
	Parked(ctx context.Context, pid string) (bool, error)
}

// Memory is the Store of a single node.
type Memory struct {
	window     time.Duration
	maxPackets int
	now        func() time.Time

	mu     sync.Mutex
	parked map[string]*memParked
	order  []memExpiry // parks in time order: expiries are too
}

type memParked struct {
	s       Session
	entries []Entry
	expires time.Time
}

type memExpiry struct {
	pid     string
	expires time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory returns a store that keeps sessions for window, with at most
// maxPackets entries each.
func NewMemory(window time.Duration, maxPackets int) *Memory {
	return &Memory{window: window, maxPackets: maxPackets, now: time.Now, parked: make(map[string]*memParked)}
}

func (m *Memory) Park(_ context.Context, pid string, s Session, entries []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	delete(m.parked, pid)
	if len(entries) > m.maxPackets {
		return nil
	}
	p := &memParked{s: s, entries: entries, expires: now.Add(m.window)}
	m.parked[pid] = p
	m.order = append(m.order, memExpiry{pid, p.expires})
	return nil
}

func (m *Memory) Append(_ context.Context, pid string, e Entry) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	p := m.parked[pid]
	if p == nil {
		return false, nil
	}
	if len(p.entries) == m.maxPackets {
		delete(m.parked, pid)
		return false, nil
	}
	p.entries = append(p.entries, e)
	return true, nil
}

func (m *Memory) Take(_ context.Context, pid string) (Session, []Entry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	p := m.parked[pid]
	if p == nil {
		return Session{}, nil, false, nil
	}
	delete(m.parked, pid)
	return p.s, p.entries, true, nil
}

func (m *Memory) Parked(_ context.Context, pid string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	return m.parked[pid] != nil, nil
}

// Len is the number of sessions parked now.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	return len(m.parked)
}

// expire forgets the sessions whose window ended; m.mu held.
func (m *Memory) expire(now time.Time) {
	i := 0
	for ; i < len(m.order) && !now.Before(m.order[i].expires); i++ {
		if p := m.parked[m.order[i].pid]; p != nil && p.expires.Equal(m.order[i].expires) {
			delete(m.parked, m.order[i].pid)
		}
	}
	m.order = m.order[i:]
}
