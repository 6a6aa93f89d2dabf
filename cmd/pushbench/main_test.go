package main

import (
	"os"
	"testing"

	"github.com/pushio/pushio/internal/test/harness"
)

// TestMain builds the pushio binary the reload and offline tests run
// (harness.Start), once for the package.
func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
