package e2e

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
)

// nodeProc is one of this package's node scripts, talking in lines: it
// reads commands on stdin and prints JSON lines on stdout.
type nodeProc struct {
	t       testing.TB
	script  string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stderr  harness.Buffer
	exited  chan struct{}
	exitErr error // set before exited is closed
	// report, when set, adds to the output logged for a failed test.
	report func() string
}

// needNode fails or skips t (see need.Missing) without node and the
// npm packages.
func needNode(t testing.TB) {
	t.Helper()
	need.Program(t, "node")
	if _, err := os.Stat("node_modules/.installed"); err != nil {
		need.Missing(t, "test/e2e/node_modules is not installed: run test/deps.sh (npm ci in test/e2e)")
	}
}

// startNode runs `node script args…`, hands each stdout line to onLine (on
// another goroutine) and, when t ends, closes stdin and kills the process
// if it has not ended within grace.
func startNode(t testing.TB, onLine func([]byte), grace time.Duration, script string, args ...string) *nodeProc {
	t.Helper()
	needNode(t)
	n := &nodeProc{t: t, script: script, exited: make(chan struct{})}
	n.cmd = exec.Command("node", append([]string{script}, args...)...)
	n.cmd.Stderr = &n.stderr
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("%s stdout: %v", script, err)
	}
	if n.stdin, err = n.cmd.StdinPipe(); err != nil {
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
	t.Cleanup(func() { n.stop(grace) })
	return n
}

func (n *nodeProc) stop(grace time.Duration) {
	_ = n.stdin.Close()
	select {
	case <-n.exited:
	case <-time.After(grace):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
	if n.t.Failed() {
		extra := ""
		if n.report != nil {
			extra = n.report()
		}
		n.t.Logf("%s (pid %d) stderr:\n%s\n%s", n.script, n.cmd.Process.Pid, n.stderr.String(), extra)
	}
}
