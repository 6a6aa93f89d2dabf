package main

import (
	"testing"
	"time"
)

func TestSinkContents(t *testing.T) {
	now := time.Now()
	s := &sink{}
	seen := 0
	for _, c := range []string{
		broadcastContent(1, 3, now.Add(-5*time.Millisecond)),
		targetedContent(now.Add(-2 * time.Millisecond)),
		"hello", "b.1.2", "b.5.3.1", "b.1.99999999.1", "t.x", "&lt;b&gt;",
	} {
		s.newMsg([]byte(c), now, &seen)
	}
	if s.bcast.k.Load() != 3 || s.bcast.got[1].Load() != 1 || s.bcast.last[1].Load() != 5000 {
		t.Errorf("broadcast tally: k %d, got %d, last %d µs; want 3, 1, 5000",
			s.bcast.k.Load(), s.bcast.got[1].Load(), s.bcast.last[1].Load())
	}
	if s.targeted.Load() != 1 || s.targetLat.Quantile(1) != 2 {
		t.Errorf("targeted: %d delivered, latency %v ms; want 1, 2 ms", s.targeted.Load(), s.targetLat.Quantile(1))
	}
	if s.foreign.Load() != 6 {
		t.Errorf("foreign contents: %d, want 6", s.foreign.Load())
	}
}

func TestSinkDuplicates(t *testing.T) {
	now := time.Now()
	s := &sink{}
	a, b := 0, 0
	for _, rcv := range []struct {
		seq  int
		seen *int
	}{{0, &a}, {0, &b}, {1, &a}, {0, &a}, {1, &a}, {1, &b}} {
		s.newMsg([]byte(broadcastContent(rcv.seq, 2, now)), now, rcv.seen)
	}
	if s.bcast.got[0].Load() != 2 || s.bcast.got[1].Load() != 2 || s.bcast.dups.Load() != 2 {
		t.Errorf("got %d and %d, %d duplicates; want 2, 2 and 2",
			s.bcast.got[0].Load(), s.bcast.got[1].Load(), s.bcast.dups.Load())
	}
}
