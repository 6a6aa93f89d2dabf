package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// bundle is the client script the binary embeds; `make build` (or
// `make static`) fetches it with npm.
const bundle = "static/web/vendor/socket.io.min.js"

// RepoRoot walks up from the working directory to pushio's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("harness: finding the repository: %w", err)
	}
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(mod, []byte("module github.com/pushio/pushio\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("harness: no go.mod of github.com/pushio/pushio above the working directory")
		}
		dir = parent
	}
}

// Build compiles ./cmd/pushio of the repository at root into dir with the
// go on PATH (go test puts its own first) and extra build flags (e.g.
// -race), and returns the binary's path. It refuses when the embedded
// client bundle has not been built, since the binary would then serve no
// client script.
func Build(ctx context.Context, root, dir string, flags ...string) (string, error) {
	if fi, err := os.Stat(filepath.Join(root, bundle)); err != nil || fi.Size() == 0 {
		return "", fmt.Errorf("harness: %s is missing or empty: run `make build` (it fetches the socket.io client with npm) before these tests", bundle)
	}
	bin := filepath.Join(dir, "pushio")
	args := append(append([]string{"build"}, flags...), "-o", bin, "./cmd/pushio")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("harness: go build ./cmd/pushio: %w\n%s", err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}
