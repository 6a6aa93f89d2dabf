package pushapi

import (
	"crypto/sha256"
	"sync"
	"time"
)

// replayCacheSize bounds the signatures remembered at once: about 40 MB,
// 870 signed requests a second over the default 5-minute window. Beyond
// it the oldest are forgotten early (see replayCache.add).
const replayCacheSize = 1 << 18

// replayCache remembers signatures until they expire, in a bounded space.
type replayCache struct {
	mu    sync.Mutex
	max   int
	until map[[sha256.Size]byte]time.Time
	// order holds entries as added; its front is the oldest.
	order []replayEntry
}

type replayEntry struct {
	sig   [sha256.Size]byte
	until time.Time
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, until: make(map[[sha256.Size]byte]time.Time)}
}

// add records sig as used until the given time and reports whether it was
// new. Expired entries are dropped first; when the cache is still full
// the oldest entry is forgotten before its time, so that a flood of valid
// requests never refuses the next one.
func (c *replayCache) add(sig [sha256.Size]byte, until, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.order) > 0 && (!c.order[0].until.After(now) || len(c.until) >= c.max) {
		c.dropFront()
	}
	if t, ok := c.until[sig]; ok && t.After(now) {
		return false
	}
	c.until[sig] = until
	c.order = append(c.order, replayEntry{sig, until})
	return true
}

func (c *replayCache) dropFront() {
	e := c.order[0]
	c.order = c.order[1:]
	if c.until[e.sig].Equal(e.until) {
		delete(c.until, e.sig)
	}
}
