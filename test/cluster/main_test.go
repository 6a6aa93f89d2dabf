package cluster

import (
	"os"
	"testing"

	"github.com/pushio/pushio/internal/test/clustertest"
	"github.com/pushio/pushio/internal/test/harness"
)

func TestMain(m *testing.M) {
	clustertest.QuietRedis()
	os.Exit(harness.Main(m))
}
