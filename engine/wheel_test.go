package engine

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lateness is how late past its deadline a timer may fire: a tick, plus
// a loaded (-race, parallel) machine's scheduling.
const lateness = time.Second

// firing records when a timer fired, and how often.
type firing struct {
	n    atomic.Int32
	at   atomic.Int64 // UnixNano of the first firing
	done chan struct{}
}

func newFiring() *firing { return &firing{done: make(chan struct{})} }

func (f *firing) fire() {
	if f.n.Add(1) == 1 {
		f.at.Store(time.Now().UnixNano())
		close(f.done)
	}
}

func (f *firing) wait(t *testing.T, what string) time.Time {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(waitTimeout):
		t.Fatalf("%s did not fire within %v", what, waitTimeout)
	}
	return time.Unix(0, f.at.Load())
}

// linked reports whether t is in one of w's lists.
func (w *wheel) linked(t *timer) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return t.next != nil
}

func startWheel(t *testing.T, res time.Duration) *wheel {
	t.Helper()
	w := newWheel(res)
	t.Cleanup(w.close)
	return w
}

func TestWheelFiresOnceAfterItsDeadline(t *testing.T) {
	t.Parallel()
	const res = 5 * time.Millisecond
	for _, tc := range []struct{ res, d time.Duration }{
		{res, 0}, {res, time.Nanosecond}, {res, res - 1}, {res, res}, {res, res + 1},
		{res, 3*res + res/2}, {res, 60 * time.Millisecond},
		// Past one turn of the wheel: the timer's slot comes round
		// before its deadline does.
		{time.Millisecond, wheelSlots*time.Millisecond + 7*time.Millisecond},
	} {
		res, d := tc.res, tc.d
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			w := startWheel(t, res)
			var tm timer
			f := newFiring()
			armed := time.Now()
			w.after(&tm, d, f.fire)
			at := f.wait(t, "the timer")
			if early := at.Sub(armed); early < d {
				t.Fatalf("fired %v after arming, before its %v deadline", early, d)
			}
			if late := at.Sub(armed) - d; late > lateness {
				t.Fatalf("fired %v past its deadline", late)
			}
			if w.linked(&tm) {
				t.Fatal("a fired timer is still linked: it could fire again")
			}
			// A later timer fires after any second firing would have.
			after := newFiring()
			var tm2 timer
			w.after(&tm2, 3*res, after.fire)
			after.wait(t, "the later timer")
			if n := f.n.Load(); n != 1 {
				t.Fatalf("fired %d times", n)
			}
		})
	}
}

func TestWheelCancel(t *testing.T) {
	t.Parallel()
	w := startWheel(t, 5*time.Millisecond)
	var canceled, sentinel timer
	var zero timer
	w.cancel(&zero) // a stopped timer stays stopped
	f := newFiring()
	w.after(&canceled, 10*time.Millisecond, f.fire)
	if !w.linked(&canceled) {
		t.Fatal("an armed timer is not linked")
	}
	w.cancel(&canceled)
	w.cancel(&canceled) // twice is fine
	if w.linked(&canceled) {
		t.Fatal("a canceled timer is still linked")
	}
	s := newFiring()
	w.after(&sentinel, 40*time.Millisecond, s.fire)
	s.wait(t, "the sentinel")
	if n := f.n.Load(); n != 0 {
		t.Fatalf("canceled timer fired %d times", n)
	}
	w.cancel(&sentinel) // after it fired: a no-op
}

func TestWheelRearmReplaces(t *testing.T) {
	t.Parallel()
	w := startWheel(t, 5*time.Millisecond)
	var tm timer
	first, second := newFiring(), newFiring()
	w.after(&tm, 10*time.Millisecond, first.fire)
	armed := time.Now()
	w.after(&tm, 50*time.Millisecond, second.fire)
	at := second.wait(t, "the re-armed timer")
	if at.Sub(armed) < 50*time.Millisecond {
		t.Fatalf("re-armed timer fired after %v, before its new deadline", at.Sub(armed))
	}
	if n := first.n.Load(); n != 0 {
		t.Fatal("the replaced deadline fired")
	}
	// Re-armed earlier than its current deadline.
	third, fourth := newFiring(), newFiring()
	w.after(&tm, time.Hour, third.fire)
	w.after(&tm, 5*time.Millisecond, fourth.fire)
	fourth.wait(t, "the timer moved earlier")
	if w.linked(&tm) || third.n.Load() != 0 {
		t.Fatal("the hour-long deadline survived being replaced")
	}
}

func TestWheelFireMayRearm(t *testing.T) {
	t.Parallel()
	// As schedulePing does: the callback arms its own timer again.
	w := startWheel(t, 5*time.Millisecond)
	var tm timer
	var mu sync.Mutex
	var times []time.Time
	done := make(chan struct{})
	var fire func()
	fire = func() {
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		if len(times) == 5 {
			close(done)
			return
		}
		w.after(&tm, 10*time.Millisecond, fire)
	}
	w.after(&tm, 10*time.Millisecond, fire)
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("the re-arming timer did not fire 5 times")
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d < 10*time.Millisecond {
			t.Fatalf("firing %d came %v after the previous, before the 10ms it was armed for", i, d)
		}
	}
}

func TestWheelManyTimers(t *testing.T) {
	t.Parallel()
	const (
		res = 5 * time.Millisecond
		n   = 20000
	)
	w := startWheel(t, res)
	rng := rand.New(rand.NewPCG(1, 2))
	timers := make([]timer, n)
	counts := make([]atomic.Int32, n)
	var early atomic.Int32
	var latest atomic.Int64
	var pending sync.WaitGroup
	canceled := make([]bool, n)
	for i := range timers {
		d := time.Duration(rng.Int64N(int64(300 * time.Millisecond)))
		canceled[i] = i%3 == 0
		if canceled[i] {
			d += 100 * time.Millisecond // canceled well before it is due
		}
		armed := time.Now()
		if !canceled[i] {
			pending.Add(1)
		}
		w.after(&timers[i], d, func() {
			late := time.Since(armed) - d
			if late < 0 {
				early.Add(1)
			}
			for {
				cur := latest.Load()
				if int64(late) <= cur || latest.CompareAndSwap(cur, int64(late)) {
					break
				}
			}
			if counts[i].Add(1) == 1 && !canceled[i] {
				pending.Done()
			}
		})
		if canceled[i] {
			w.cancel(&timers[i])
		}
	}
	all := make(chan struct{})
	go func() { pending.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(waitTimeout):
		t.Fatal("not every timer fired within", waitTimeout)
	}
	// One more timer past every deadline: what could still fire has.
	s := newFiring()
	var sentinel timer
	w.after(&sentinel, 3*res, s.fire)
	s.wait(t, "the sentinel")
	for i := range timers {
		want := int32(1)
		if canceled[i] {
			want = 0
		}
		if got := counts[i].Load(); got != want {
			t.Fatalf("timer %d (canceled %v) fired %d times", i, canceled[i], got)
		}
		if w.linked(&timers[i]) {
			t.Fatalf("timer %d still linked", i)
		}
	}
	if early.Load() != 0 {
		t.Fatalf("%d timers fired before their deadline", early.Load())
	}
	if l := time.Duration(latest.Load()); l > lateness {
		t.Fatalf("latest firing %v past its deadline", l)
	}
}

func TestWheelCloseStopsIt(t *testing.T) {
	t.Parallel()
	w := newWheel(5 * time.Millisecond)
	var tm timer
	f := newFiring()
	w.after(&tm, time.Hour, f.fire)
	w.close() // returns once its goroutine is done (goleak checks the rest)
	select {
	case <-w.done:
	default:
		t.Fatal("close returned before the wheel's goroutine ended")
	}
	if f.n.Load() != 0 {
		t.Fatal("close fired a pending timer")
	}
}
