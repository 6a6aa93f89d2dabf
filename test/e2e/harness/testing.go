package harness

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// StartT starts an instance for t and stops it when t ends, failing t if
// the instance did not stop cleanly and logging its output if t failed.
func StartT(t testing.TB, bin string, o Options) *Pushio {
	t.Helper()
	p, err := Start(context.Background(), bin, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("pushio (pid %d, io %s, api %s) log:\n%s", p.PID(), p.IOAddr, p.APIAddr, p.Output())
		}
	})
	return p
}

// Need returns the path of an external program the test needs. A missing
// one fails the test when CI=true and skips it otherwise.
func Need(t testing.TB, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		Missing(t, "%s is not installed (test/deps.sh installs it)", program)
	}
	return path
}

// Missing fails t when CI=true, where every dependency must be present,
// and skips it otherwise, with the reason.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
