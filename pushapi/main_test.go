package pushapi

import (
	"context"
	"slices"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/pushio/pushio/adapter"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// published is one recorded Publish call.
type published struct {
	To      []string
	Content string
}

// fakePublisher records what the API asks of it and answers from a fixed
// set of online uids; it stands for the Socket.IO side.
type fakePublisher struct {
	online map[string]bool
	counts adapter.Counts
	err    error // returned by every call when set
	panics bool  // Publish panics when set

	mu    sync.Mutex
	calls []published
	asked [][]string // uids of Online calls
}

func newFake(online ...string) *fakePublisher {
	f := &fakePublisher{online: map[string]bool{}}
	for _, uid := range online {
		f.online[uid] = true
	}
	return f
}

func (f *fakePublisher) Publish(_ context.Context, to []string, content string) ([]bool, error) {
	if f.panics {
		panic("fake publisher panics")
	}
	if f.err != nil {
		return nil, f.err
	}
	f.mu.Lock()
	f.calls = append(f.calls, published{To: slices.Clone(to), Content: content})
	f.mu.Unlock()
	return f.lookup(to), nil
}

func (f *fakePublisher) Online(_ context.Context, uids []string) ([]bool, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.mu.Lock()
	f.asked = append(f.asked, slices.Clone(uids))
	f.mu.Unlock()
	return f.lookup(uids), nil
}

func (f *fakePublisher) Counts(context.Context) (adapter.Counts, error) {
	return f.counts, f.err
}

func (f *fakePublisher) lookup(uids []string) []bool {
	out := make([]bool, len(uids))
	for i, uid := range uids {
		out[i] = f.online[uid]
	}
	return out
}

// published returns the calls recorded so far.
func (f *fakePublisher) published() []published {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// onlineAsked returns the uids of the Online calls so far.
func (f *fakePublisher) onlineAsked() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}
