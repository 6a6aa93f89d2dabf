package pushapi

import (
	"github.com/gin-gonic/gin"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode) // as the binary runs it, without debug route logs
	goleak.VerifyTestMain(m)
}
