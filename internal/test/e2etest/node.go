package e2etest

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
)

// scriptsDir is test/e2e, where the node scripts and their node_modules
// (package.json, installed by test/deps.sh) are.
func scriptsDir(t testing.TB) string {
	t.Helper()
	dir, err := findScripts()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var findScripts = sync.OnceValues(func() (string, error) {
	root, err := harness.RepoRoot()
	return filepath.Join(root, "test", "e2e"), err
})

// Node is one of test/e2e's node scripts, talking in lines: it reads
// commands on stdin and prints JSON lines on stdout.
type Node struct {
	// Stdin is the script's standard input.
	Stdin io.WriteCloser
	// Report, when set, adds to the output logged for a failed test.
	Report func() string

	t       testing.TB
	script  string
	cmd     *exec.Cmd
	stderr  harness.Buffer
	exited  chan struct{}
	exitErr error // set before exited is closed
}

// NeedNode fails or skips t (see need.Missing) without node and the
// npm packages.
func NeedNode(t testing.TB) {
	t.Helper()
	need.Program(t, "node")
	if _, err := os.Stat(filepath.Join(scriptsDir(t), "node_modules", ".installed")); err != nil {
		need.Missing(t, "test/e2e/node_modules is not installed: run test/deps.sh (npm ci in test/e2e)")
	}
}

// StartNode runs `node script args…` (script in test/e2e), hands each
// stdout line to onLine (on another goroutine) and, when t ends, closes
// stdin and kills the process if it has not ended within grace.
func StartNode(t testing.TB, onLine func([]byte), grace time.Duration, script string, args ...string) *Node {
	t.Helper()
	NeedNode(t)
	n := &Node{t: t, script: script, exited: make(chan struct{})}
	n.cmd = exec.Command("node", append([]string{script}, args...)...)
	n.cmd.Dir = scriptsDir(t)
	n.cmd.Stderr = &n.stderr
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("%s stdout: %v", script, err)
	}
	if n.Stdin, err = n.cmd.StdinPipe(); err != nil {
		t.Fatalf("%s stdin: %v", script, err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", script, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			onLine(sc.Bytes())
		}
		n.exitErr = n.cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() { n.Stop(grace) })
	return n
}

// Exited is closed when the script has ended.
func (n *Node) Exited() <-chan struct{} { return n.exited }

// Err is how the script ended, once Exited is closed.
func (n *Node) Err() error { return n.exitErr }

// Stop closes the script's stdin and kills it if it has not ended within
// grace; for a failed test it logs the script's stderr and Report.
func (n *Node) Stop(grace time.Duration) {
	_ = n.Stdin.Close()
	select {
	case <-n.exited:
	case <-time.After(grace):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
	if n.t.Failed() {
		extra := ""
		if n.Report != nil {
			extra = n.Report()
		}
		n.t.Logf("%s (pid %d) stderr:\n%s\n%s", n.script, n.cmd.Process.Pid, n.stderr.String(), extra)
	}
}
