package harness

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// bin is the binary Main built for this test process.
var bin string

// Main builds the binary once for a test package, runs its tests and
// removes the build: call it from TestMain, os.Exit(harness.Main(m)). The
// binary is built with -race when the tests are, so that a race in an
// instance makes it exit non-zero and fails the test that stops it.
func Main(m *testing.M) int {
	root, err := RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "pushio-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var flags []string
	if raceEnabled {
		flags = append(flags, "-race")
	}
	if bin, err = Build(ctx, root, dir, flags...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// Binary is the path of the binary Main built.
func Binary() string {
	if bin == "" {
		panic("harness: Binary called without harness.Main in TestMain")
	}
	return bin
}
