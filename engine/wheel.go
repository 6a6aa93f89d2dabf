package engine

import (
	"sync"
	"time"
)

// wheel runs the heartbeat deadlines of every session on one goroutine and
// one ticker: a session's timer is a link in a slot's list, so arming,
// moving and stopping it are a few pointer writes, and an idle server
// wakes once per tick, not once per session.
type wheel struct {
	res   time.Duration
	mu    sync.Mutex
	slots []timer // list heads (sentinels)
	now   int64   // the tick last run
	start time.Time
	stop  chan struct{}
	done  chan struct{}
}

// timer is one deadline; the zero value is stopped. fire runs on the
// wheel's goroutine and must not block.
type timer struct {
	prev, next *timer
	due        int64
	fire       func()
}

const wheelSlots = 1024

func newWheel(res time.Duration) *wheel {
	w := &wheel{res: res, slots: make([]timer, wheelSlots), start: time.Now(),
		stop: make(chan struct{}), done: make(chan struct{})}
	for i := range w.slots {
		w.slots[i].prev, w.slots[i].next = &w.slots[i], &w.slots[i]
	}
	go w.run()
	return w
}

// after arms t to fire once d from now, replacing an earlier deadline.
func (w *wheel) after(t *timer, d time.Duration, fire func()) {
	due := int64((time.Since(w.start) + d + w.res - 1) / w.res)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unlink(t)
	if due <= w.now {
		due = w.now + 1
	}
	t.due, t.fire = due, fire
	head := &w.slots[due%wheelSlots]
	t.prev, t.next = head.prev, head
	head.prev.next = t
	head.prev = t
}

// cancel stops t; a stopped timer stays stopped.
func (w *wheel) cancel(t *timer) {
	w.mu.Lock()
	w.unlink(t)
	w.mu.Unlock()
}

func (w *wheel) unlink(t *timer) {
	if t.next == nil {
		return
	}
	t.prev.next, t.next.prev = t.next, t.prev
	t.prev, t.next = nil, nil
}

func (w *wheel) run() {
	defer close(w.done)
	tick := time.NewTicker(w.res)
	defer tick.Stop()
	var due []func()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		target := int64(time.Since(w.start) / w.res)
		w.mu.Lock()
		for w.now < target {
			w.now++
			head := &w.slots[w.now%wheelSlots]
			for t := head.next; t != head; {
				next := t.next
				if t.due <= w.now {
					w.unlink(t)
					due = append(due, t.fire)
				}
				t = next
			}
		}
		w.mu.Unlock()
		for i, f := range due {
			f()
			due[i] = nil
		}
		due = due[:0]
	}
}

func (w *wheel) close() {
	close(w.stop)
	<-w.done
}
