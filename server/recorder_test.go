package server

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/recovery"
)

// pacedStore is a shared store whose calls each take a while, as a round
// trip does, recording the calls made for each pid and how many were on
// their way at once.
type pacedStore struct {
	*recovery.Memory
	mu             sync.Mutex
	calls          map[string][]string
	inFlight, most int
}

func (s *pacedStore) call(pid, what string) func() {
	s.mu.Lock()
	s.calls[pid] = append(s.calls[pid], what)
	s.inFlight++
	s.most = max(s.most, s.inFlight)
	s.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	return func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}
}

func (s *pacedStore) Park(ctx context.Context, pid string, sess recovery.Session, e []recovery.Entry) error {
	defer s.call(pid, "park")()
	return s.Memory.Park(ctx, pid, sess, e)
}

func (s *pacedStore) Append(ctx context.Context, pid string, e recovery.Entry) (bool, error) {
	defer s.call(pid, "append "+e.Offset)()
	return s.Memory.Append(ctx, pid, e)
}

func (s *pacedStore) Take(ctx context.Context, pid string) (recovery.Session, []recovery.Entry, bool, error) {
	defer s.call(pid, "take")()
	return s.Memory.Take(ctx, pid)
}

// TestRecordersKeepEachPidsOrder: a shared store's calls are made by
// several recorders at once, and the calls of one pid in the order they
// were asked for.
func TestRecordersKeepEachPidsOrder(t *testing.T) {
	store := &pacedStore{Memory: recovery.NewMemory(time.Minute, 100), calls: map[string][]string{}}
	n := newNumbering(RecoveryOptions{Recovery: settings.Recovery{Window: time.Minute, MaxPackets: 100}, Store: store}, time.Second)
	var want []string
	for i := range 4 {
		want = append(want, fmt.Sprint("append ", i))
	}
	want = append([]string{"park"}, append(want, "take")...)
	var done sync.WaitGroup
	const pids = 32
	for p := range pids {
		pid := fmt.Sprint("pid", p)
		for _, what := range want {
			done.Add(1)
			op := func(ctx context.Context) {
				defer done.Done()
				switch what {
				case "park":
					_ = store.Park(ctx, pid, recovery.Session{SID: pid}, nil)
				case "take":
					_, _, _, _ = store.Take(ctx, pid)
				default:
					_, _ = store.Append(ctx, pid, recovery.Entry{Offset: what[len("append "):]})
				}
			}
			if !n.queue(pid, op) {
				t.Fatalf("%s: %s refused", pid, what)
			}
		}
	}
	done.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n.close(ctx)
	for p := range pids {
		pid := fmt.Sprint("pid", p)
		if got := store.calls[pid]; !slices.Equal(got, want) {
			t.Errorf("%s's calls: %q, want %q", pid, got, want)
		}
	}
	if store.most < 2 {
		t.Errorf("at most %d store call on its way at once, want several recorders at work", store.most)
	}
}
