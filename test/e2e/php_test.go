package e2e

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/need"
)

// TestPHPReadmeSnippet runs the README's PHP (curl with an array body, so
// multipart; http_build_query's to[0]=…&to[1]=…; type=online; type=count)
// under php-cli against a logged-in client.
func TestPHPReadmeSnippet(t *testing.T) {
	php := need.PHP(t)
	p := startPushio(t)
	const uid, other = "php-user", "nobody-here"
	n := startClients(t, p.IOURL(), clientSpec{Version: "sio2", Transports: []string{"polling"}, UID: uid})
	n.waitLine("all_ready", 15*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, php, "testdata/readme.php", p.APIURL(), uid, other, richContent).CombinedOutput()
	if err != nil {
		t.Fatalf("php testdata/readme.php: %v\n%s", err, out)
	}
	want := strings.Join([]string{
		"publish: ok",
		"publish offline: offline",
		"publish content: ok",
		"publish several: ok",
		"online: online",
		"online offline: offline",
		`count: {"uids":1,"pages":1}`,
	}, "\n") + "\n"
	if string(out) != want {
		t.Errorf("php printed:\n%s\nwant:\n%s", out, want)
	}
	n.waitMsgs(0, 3, 5*time.Second)
	if got, want := n.data(0, "new_msg"), []any{"hello", richEscaped, "hi"}; !slices.Equal(got, want) {
		t.Errorf("client got %q, want %q", got, want)
	}
}
