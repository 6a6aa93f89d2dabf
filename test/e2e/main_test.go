package e2e

import (
	"os"
	"testing"

	"github.com/pushio/pushio/internal/test/harness"
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m))
}

// startPushio runs an instance for t with extra flags; counts are sent
// every 200ms so that tests need not wait a second for them.
func startPushio(t testing.TB, args ...string) *harness.Pushio {
	t.Helper()
	p := harness.StartT(t, harness.Binary(), harness.Options{
		Args: append([]string{"--counts.interval", "200ms"}, args...),
	})
	// Before the stop: a connection the client opened but never used
	// holds net/http's graceful shutdown for 5s.
	t.Cleanup(httpClient.CloseIdleConnections)
	return p
}
