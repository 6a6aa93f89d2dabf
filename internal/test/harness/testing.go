package harness

import (
	"context"
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
