package redis

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// TestMain checks that no test leaves a goroutine behind: the adapter
// starts the most of them (subscriber, presence refresh, request
// handlers), and each must end when its Close returns.
func TestMain(m *testing.M) {
	goredis.SetLogger(quiet{}) // the tests stop Redis on purpose
	goleak.VerifyTestMain(m)
}
