package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/pushio/pushio/test/e2e/harness"
)

// pushioBin is the binary built for this test run.
var pushioBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := harness.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "pushio-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var flags []string
	if raceEnabled {
		// The instances race-check the server under real clients; a race
		// makes pushio exit non-zero, which fails the test that stops it.
		flags = append(flags, "-race")
	}
	pushioBin, err = harness.Build(ctx, root, dir, flags...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// startPushio runs an instance for t with extra flags; counts are sent
// every 200ms so that tests need not wait a second for them.
func startPushio(t testing.TB, args ...string) *harness.Pushio {
	t.Helper()
	p := harness.StartT(t, pushioBin, harness.Options{
		Args: append([]string{"--counts.interval", "200ms"}, args...),
	})
	// Before the stop: a connection the client opened but never used
	// holds net/http's graceful shutdown for 5s.
	t.Cleanup(httpClient.CloseIdleConnections)
	return p
}
