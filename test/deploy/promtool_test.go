package deploy

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/need"
)

// deployFile is the path of a file under the repository's deploy/.
func deployFile(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "deploy"}, parts...)...)
}

// promtool runs promtool with args and fails t with its output if it
// fails; without promtool the test fails under CI and is skipped elsewhere
// (test/deps.sh installs it, from Debian's prometheus package).
func promtool(t *testing.T, args ...string) string {
	t.Helper()
	bin := need.Program(t, "promtool")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %q: %v\n%s", args, err, out)
	}
	return string(out)
}
