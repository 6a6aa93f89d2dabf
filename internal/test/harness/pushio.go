package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options configure one pushio instance.
type Options struct {
	// Args are extra flags, after the harness's own (loopback :0 listeners,
	// JSON logs); a flag given again here wins.
	Args []string
	// Env is added to the test's environment, e.g. PUSHIO_REDIS_URL=….
	Env []string
	// StartTimeout bounds the wait for the start-up line (default 15s).
	StartTimeout time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL
	// (default 15s).
	StopTimeout time.Duration
}

// Pushio is one running instance.
type Pushio struct {
	// IOAddr and APIAddr are the listeners' host:port, as the instance
	// logged them.
	IOAddr, APIAddr string
	// Instance is the name the instance logged: in a Redis cluster, the
	// one its presence record in Redis carries.
	Instance string

	cmd         *exec.Cmd
	out         *Buffer
	stopTimeout time.Duration
	done        chan struct{} // closed when the process has exited
	waitErr     error         // set before done is closed

	mu     sync.Mutex
	killed bool // the harness sent SIGKILL on purpose
	ended  bool // the test signalled the process to end (SIGTERM, say)
	tls    bool // the io listener serves TLS
	apiTLS bool // the API listener serves TLS

	stopOnce sync.Once
	stopErr  error // the first Stop's result
}

// startLine is the JSON start-up log line's fields the harness reads.
type startLine struct {
	Msg      string `json:"msg"`
	IOAddr   string `json:"io_addr"`
	APIAddr  string `json:"api_addr"`
	Instance string `json:"instance"`
	IOTLS    bool   `json:"io_tls"`
	APITLS   bool   `json:"api_tls"`
}

// Start runs the binary and returns once it has logged "pushio started",
// or an error holding its output if it exits or is silent first.
func Start(ctx context.Context, bin string, o Options) (*Pushio, error) {
	if o.StartTimeout <= 0 {
		o.StartTimeout = 15 * time.Second
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 15 * time.Second
	}
	args := append([]string{"--io.addr", "127.0.0.1:0", "--api.addr", "127.0.0.1:0", "--log.format", "json"}, o.Args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Dir = filepath.Dir(bin) // no config.yaml there: flags, env and defaults only
	out := &Buffer{Echo: os.Getenv("PUSHIO_E2E_LOG") != "" || os.Getenv("PUSHIO_TEST_LOG") != ""}
	cmd.Stdout = out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("harness: stderr pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("harness: starting %s: %w", bin, err)
	}
	p := &Pushio{cmd: cmd, out: out, stopTimeout: o.StopTimeout, done: make(chan struct{})}
	started := make(chan startLine, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		p.scan(stderr, started)
	}()
	go func() {
		<-copied // Wait closes the pipe: read it to the end first
		p.waitErr = cmd.Wait()
		close(p.done)
	}()

	timer := time.NewTimer(o.StartTimeout)
	defer timer.Stop()
	select {
	case s := <-started:
		p.IOAddr, p.APIAddr, p.Instance = s.IOAddr, s.APIAddr, s.Instance
		p.tls, p.apiTLS = s.IOTLS, s.APITLS
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("harness: pushio exited before starting (%v):\n%s", p.waitErr, out)
	case <-timer.C:
		_ = p.Kill()
		return nil, fmt.Errorf("harness: pushio logged no start-up line within %s:\n%s", o.StartTimeout, out)
	case <-ctx.Done():
		_ = p.Kill()
		return nil, fmt.Errorf("harness: starting pushio: %w", ctx.Err())
	}
}

// scan copies the log into the output and reports the start-up line.
func (p *Pushio) scan(r io.Reader, started chan<- startLine) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	reported := false
	for sc.Scan() {
		line := sc.Bytes()
		_, _ = p.out.Write(append(line, '\n'))
		var s startLine
		if !reported && json.Unmarshal(line, &s) == nil && s.Msg == "pushio started" {
			reported = true
			started <- s
		}
	}
	_, _ = io.Copy(p.out, r) // a line longer than the scanner's buffer
}

// PID is the process id.
func (p *Pushio) PID() int { return p.cmd.Process.Pid }

// IOURL is the Socket.IO listener's base URL, http(s)://host:port.
func (p *Pushio) IOURL() string { return scheme(p.tls) + p.IOAddr }

// APIURL is the publish API's base URL, http(s)://host:port.
func (p *Pushio) APIURL() string { return scheme(p.apiTLS) + p.APIAddr }

func scheme(tls bool) string {
	if tls {
		return "https://"
	}
	return "http://"
}

// Lines is the JSON log so far, a map per line; a line that is not JSON
// is kept as {"msg": line}.
func (p *Pushio) Lines() []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(p.out.String(), "\n") {
		if l == "" {
			continue
		}
		var line map[string]any
		if json.Unmarshal([]byte(l), &line) != nil {
			line = map[string]any{"msg": l}
		}
		out = append(out, line)
	}
	return out
}

// WaitLog returns the first log line whose msg is msg, failing t if none
// comes within d or the process ends first.
func (p *Pushio) WaitLog(t testing.TB, msg string, d time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		for _, l := range p.Lines() {
			if l["msg"] == msg {
				return l
			}
		}
		select {
		case <-p.done:
			for _, l := range p.Lines() { // what it logged as it ended
				if l["msg"] == msg {
					return l
				}
			}
			t.Fatalf("pushio exited (%v) before logging %q", p.waitErr, msg)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pushio did not log %q within %s", msg, d)
		}
	}
}

// Signal sends sig to the process. The process may then end by itself:
// Stop no longer calls that unexpected, only an exit that is not clean.
func (p *Pushio) Signal(sig os.Signal) error {
	p.mu.Lock()
	p.ended = true
	p.mu.Unlock()
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("harness: %v to pid %d: %w", sig, p.PID(), err)
	}
	return nil
}

// ExitCode is the process's exit status once Exited is closed (-1 when a
// signal ended it).
func (p *Pushio) ExitCode() int {
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// Output is everything the instance has logged so far.
func (p *Pushio) Output() string { return p.out.String() }

// Exited is closed when the process has ended, for whatever reason.
func (p *Pushio) Exited() <-chan struct{} { return p.done }

// Stop sends SIGTERM and waits for a graceful exit, then SIGKILLs after
// the stop timeout. It reports an exit that was not clean: a non-zero
// status, the need for SIGKILL, or an exit before Stop that the harness
// did not cause. Stop again (the cleanup of a test that stopped the
// instance itself) waits for the first and returns its result.
func (p *Pushio) Stop() error {
	p.stopOnce.Do(func() { p.stopErr = p.stop() })
	return p.stopErr
}

func (p *Pushio) stop() error {
	select {
	case <-p.done:
		if p.wasKilled() {
			return nil
		}
		if p.wasEnded() {
			if p.waitErr != nil {
				return fmt.Errorf("harness: pushio (pid %d) exited uncleanly after a signal: %w", p.PID(), p.waitErr)
			}
			return nil
		}
		return fmt.Errorf("harness: pushio (pid %d) had exited by itself: %v", p.PID(), p.waitErr)
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("harness: SIGTERM to pid %d: %w", p.PID(), err)
	}
	timer := time.NewTimer(p.stopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		if p.waitErr != nil {
			return fmt.Errorf("harness: pushio (pid %d) exited uncleanly after SIGTERM: %w", p.PID(), p.waitErr)
		}
		return nil
	case <-timer.C:
		_ = p.Kill()
		return fmt.Errorf("harness: pushio (pid %d) still ran %s after SIGTERM; killed", p.PID(), p.stopTimeout)
	}
}

// Kill ends the process at once with SIGKILL, as a crash would, and waits
// for it to be gone.
func (p *Pushio) Kill() error {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("harness: SIGKILL to pid %d: %w", p.PID(), err)
	}
	<-p.done
	return nil
}

func (p *Pushio) wasKilled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killed
}

func (p *Pushio) wasEnded() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ended
}
