package pushapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pushio/pushio/internal/settings"
)

// BenchmarkParseBatch parses a batch of 100 pushes, each to one uid, with
// a JSON value under an event of its own every other item.
func BenchmarkParseBatch(b *testing.B) {
	items := make([]string, 100)
	for i := range items {
		if i%2 == 0 {
			items[i] = fmt.Sprintf(`{"to":"u%d","content":"message %d <b>"}`, i, i)
		} else {
			items[i] = fmt.Sprintf(`{"to":"u%d","event":"order.paid","json":{"id":%d,"items":[1,2,3]}}`, i, i)
		}
	}
	body := []byte("[" + strings.Join(items, ",") + "]")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := parseBatch(body, DefaultMaxBatch, settings.Hold{}); err != nil {
			b.Fatal(err)
		}
	}
}
