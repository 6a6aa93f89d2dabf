package cluster

import (
	"os"
	"testing"

	"github.com/pushio/pushio/internal/test/clustertest"
)

func TestMain(m *testing.M) {
	clustertest.QuietRedis()
	os.Exit(m.Run())
}
