package recovery_test

import (
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/storetest"
	"github.com/pushio/pushio/recovery"
)

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, window time.Duration, max int) (recovery.Store, recovery.Store) {
		m := recovery.NewMemory(window, max)
		return m, m
	})
}
