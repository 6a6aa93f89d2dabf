// Package eventually waits, in tests, for a condition that another
// goroutine or process makes true.
package eventually

import (
	"testing"
	"time"
)

// True polls cond every 20 ms until it holds and returns how long that
// took; it fails t when within passes first. what names the condition.
func True(t testing.TB, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}
