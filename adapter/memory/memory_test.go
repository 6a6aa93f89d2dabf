package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/test/presencetest"
)

func TestPresence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		steps      []string // presencetest.Steps: "+uid" joins a page of uid, "-uid" leaves one
		ask        []string
		wantOnline []bool
		want       adapter.Counts
	}{
		{name: "empty", ask: []string{"a"}, wantOnline: []bool{false}},
		{
			name:       "one socket",
			steps:      []string{"+a"},
			ask:        []string{"a", "b"},
			wantOnline: []bool{true, false},
			want:       adapter.Counts{UIDs: 1, Pages: 1},
		},
		{
			name:       "two sockets of one uid",
			steps:      []string{"+a", "+a"},
			ask:        []string{"a"},
			wantOnline: []bool{true},
			want:       adapter.Counts{UIDs: 1, Pages: 2},
		},
		{
			name:       "one of two sockets leaves",
			steps:      []string{"+a", "+a", "-a"},
			ask:        []string{"a"},
			wantOnline: []bool{true},
			want:       adapter.Counts{UIDs: 1, Pages: 1},
		},
		{
			name:       "last socket leaves",
			steps:      []string{"+a", "+b", "-a"},
			ask:        []string{"a", "b"},
			wantOnline: []bool{false, true},
			want:       adapter.Counts{UIDs: 1, Pages: 1},
		},
		{
			name:       "leave of an unknown uid",
			steps:      []string{"+a", "-zzz"},
			ask:        []string{"a", "zzz"},
			wantOnline: []bool{true, false},
			want:       adapter.Counts{UIDs: 1, Pages: 1},
		},
		{
			name:       "leave twice never goes negative",
			steps:      []string{"+a", "-a", "-a", "-"},
			ask:        []string{"a"},
			wantOnline: []bool{false},
		},
		{
			name:       "rejoin after leaving",
			steps:      []string{"+a", "-a", "-a", "+a"},
			ask:        []string{"a"},
			wantOnline: []bool{true},
			want:       adapter.Counts{UIDs: 1, Pages: 1},
		},
		{
			name:       "empty and repeated uids asked",
			steps:      []string{"+", "+0"},
			ask:        []string{"", "0", "0", "00"},
			wantOnline: []bool{true, true, true, false},
			want:       adapter.Counts{UIDs: 2, Pages: 2},
		},
		{name: "nothing asked", steps: []string{"+a"}, ask: nil, wantOnline: []bool{}, want: adapter.Counts{UIDs: 1, Pages: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			p := New()
			steps := presencetest.NewSteps("")
			for _, s := range tt.steps {
				if err := steps.Apply(ctx, p, s); err != nil {
					t.Fatalf("step %q: %v", s, err)
				}
			}
			online, err := p.Online(ctx, tt.ask)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(online, tt.wantOnline) {
				t.Errorf("Online(%q) = %v, want %v", tt.ask, online, tt.wantOnline)
			}
			counts, err := p.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if counts != tt.want {
				t.Errorf("Counts() = %+v, want %+v", counts, tt.want)
			}
			if err := p.Close(ctx); err != nil {
				t.Errorf("Close() = %v", err)
			}
		})
	}
}

// TestPresenceConcurrent joins and leaves from many goroutines (run with
// -race) and checks that the figures add up.
func TestPresenceConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := New()
	const workers, perWorker = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				uid := fmt.Sprint(i % 10)
				client := fmt.Sprint(w, "-", i)
				_, _ = p.Join(ctx, uid, client, nil)
				if w%2 == 0 {
					_ = p.Leave(ctx, uid, client, nil)
				}
				_, _ = p.Online(ctx, []string{uid})
				_, _ = p.Counts(ctx)
			}
		})
	}
	wg.Wait()
	counts, _ := p.Counts(ctx)
	if want := (adapter.Counts{UIDs: 10, Pages: workers / 2 * perWorker}); counts != want {
		t.Errorf("Counts() = %+v, want %+v", counts, want)
	}
}

// TestPresenceClients checks Reach and the paged listing of client ids.
func TestPresenceClients(t *testing.T) {
	t.Parallel()
	presencetest.CheckClients(t, New())
}

func TestGroups(t *testing.T) {
	presencetest.Groups(t, func(*testing.T) (adapter.Presence, adapter.Presence) {
		p := New()
		return p, p
	})
}
