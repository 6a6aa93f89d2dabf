package cluster

import (
	"github.com/gin-gonic/gin"
	"os"
	"testing"

	"github.com/pushio/pushio/internal/test/clustertest"
	"github.com/pushio/pushio/internal/test/harness"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode) // as the binary runs it, without debug route logs
	clustertest.QuietRedis()
	os.Exit(harness.Main(m))
}
