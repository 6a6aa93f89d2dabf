package e2e

import (
	"os"
	"testing"

	"github.com/pushio/pushio/internal/test/harness"
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m))
}
