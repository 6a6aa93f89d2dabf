package pushapi

import (
	"bytes"
	"context"
	"github.com/pushio/pushio/internal/test/need"
	"os"
	"os/exec"
	"testing"
	"time"
)

// The README's PHP code publishes through a secured API.
func TestPHPClient(t *testing.T) {
	t.Parallel()
	php := need.PHP(t)
	tests := []struct {
		mode    string
		opts    Options
		content string
	}{
		{"bearer", Options{Access: Access{Secret: testSecret}}, "hello"},
		{"param", Options{Access: Access{Secret: testSecret}}, "hello"},
		{"signed-get", Options{Access: Access{Secret: testSecret, Signature: true}}, "a&amp;b c+é"},
		{"signed-post", Options{Access: Access{Secret: testSecret, Signature: true}}, "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			rec, base := startAPI(t, tt.opts)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, php, "testdata/publish.php", base, tt.mode, testSecret).CombinedOutput()
			if err != nil || string(out) != answerOK {
				t.Fatalf("php: %v; output %q, want %q", err, out, answerOK)
			}
			if sent := rec.published(); len(sent) != 1 || sent[0].content != tt.content {
				t.Fatalf("published %v, want one publish of %q", sent, tt.content)
			}
		})
	}
}

// The README shows the very pushio_sign function the test runs.
func TestREADMESignFunction(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile("testdata/publish.php")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(script, []byte("// pushio_sign adds"))
	end := bytes.Index(script, []byte("\n}\n"))
	if start < 0 || end < start {
		t.Fatal("testdata/publish.php: pushio_sign not found")
	}
	if fn := script[start : end+3]; !bytes.Contains(readme, fn) {
		t.Errorf("README.md does not show testdata/publish.php's pushio_sign:\n%s", fn)
	}
}
