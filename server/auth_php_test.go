package server

import (
	"bytes"
	"github.com/pushio/pushio/internal/test/need"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var phpBlock = regexp.MustCompile("(?s)```php\n(.*?)```")

// TestReadmePHPTokens runs the README's PHP token code with php-cli and
// logs in with both tokens it makes.
func TestReadmePHPTokens(t *testing.T) {
	php := need.Program(t, "php")
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var code string
	for _, m := range phpBlock.FindAllStringSubmatch(string(readme), -1) {
		if strings.Contains(m[1], "function pushio_login_jwt") {
			code = m[1]
		}
	}
	if code == "" {
		t.Fatal("README.md has no php block defining pushio_login_jwt")
	}
	code += "\necho pushio_login_hmac($argv[1], $argv[2]), \"\\n\", pushio_login_jwt($argv[1], $argv[2]), \"\\n\";\n"
	file := filepath.Join(t.TempDir(), "token.php")
	if err := os.WriteFile(file, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	uid := "user é/42"
	var stderr bytes.Buffer
	cmd := exec.Command(php, file, uid, testSecret)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php: %v\n%s", err, stderr.String())
	}
	tokens := strings.Fields(string(out))
	if len(tokens) != 2 {
		t.Fatalf("php printed %q, want two tokens", out)
	}
	var a loginAuth
	a.set(testSecret)
	for i, tok := range tokens {
		if refused := a.refusal(uid, tok); refused != nil {
			t.Errorf("token %d %q refused: %v", i, tok, refused)
		}
		if refused := a.refusal("someone else", tok); refused == nil {
			t.Errorf("token %d accepted for another uid", i)
		}
	}
}
