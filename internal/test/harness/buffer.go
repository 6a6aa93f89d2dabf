package harness

import (
	"os"
	"strings"
	"sync"
)

// Buffer collects a child process's output; it is safe for concurrent use.
type Buffer struct {
	// Echo copies everything written to the test's stderr as well.
	Echo bool

	mu sync.Mutex
	b  strings.Builder
}

func (o *Buffer) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Echo {
		_, _ = os.Stderr.Write(p)
	}
	return o.b.Write(p)
}

// String is everything written so far.
func (o *Buffer) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
