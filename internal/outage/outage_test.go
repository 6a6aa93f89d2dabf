package outage

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/testlog"
)

// An outage is logged when it starts, reminded at most once per Reminder,
// and logged when a call works again; nothing else.
func TestLog(t *testing.T) {
	t.Parallel()
	down := errors.New("redis: connection refused")
	start := time.Unix(1_700_000_000, 0)
	steps := []struct {
		name string
		at   time.Duration // after start
		err  error         // nil: the call worked
		want string        // the line logged, "" for none
	}{
		{"served", 0, nil, ""},
		{"first failure", time.Second, down, `level=WARN msg="api: publisher failed" call=publish err="redis: connection refused"`},
		{"second failure", 2 * time.Second, down, ""},
		{"just before the minute", time.Minute, down, ""},
		{"a minute after the first", time.Minute + time.Second, down, `level=WARN msg="api: publisher still failing" call=publish down_for=1m0s failures=3`},
		{"right after the reminder", time.Minute + 2*time.Second, down, ""},
		{"back", time.Minute + 3*time.Second, nil, `level=INFO msg="api: publisher works again" down_for=1m2s failures_since_last_line=1`},
		{"still served", time.Minute + 4*time.Second, nil, ""},
		{"a new outage is logged again", time.Minute + 5*time.Second, down, `msg="api: publisher failed"`},
	}
	var o Log
	var logs testlog.Buffer
	log := logs.Logger()
	for _, s := range steps {
		if s.err != nil {
			o.Failure(log, "api: publisher", s.err, start.Add(s.at), "call", "publish")
		} else {
			o.Success(log, "api: publisher", start.Add(s.at))
		}
		got := logs.Take()
		if s.want == "" && got != "" || !strings.Contains(got, s.want) || strings.Count(got, "\n") > 1 {
			t.Errorf("%s: logged %q, want %q", s.name, got, s.want)
		}
	}
}
