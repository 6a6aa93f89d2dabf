// Package redistest runs a real redis-server for tests: on a free loopback
// port, without persistence (--save "" --appendonly no), stopped when the
// test ends. It can stop and restart the server on the same port, empty, to
// test what happens when Redis goes away and comes back.
//
// It also forms the other deployments redis.url can name, each on free
// loopback ports in the test's temporary directories, every wait bounded
// and every process stopped when the test ends: a three-master Redis
// Cluster (StartCluster) and a primary with a replica under three
// sentinels (StartSentinel, whose Failover promotes the replica).
// Topologies lists the three kinds, for tests that run on each.
//
// The helpers are called from the test's goroutine; a Sentinel's Failover
// is not safe to call from two goroutines at once.
//
// When redis-server (or redis-cli, redis-sentinel) is not installed a test
// is skipped, or fails when the environment has CI=true.
package redistest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/pushio/pushio/internal/test/need"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds the wait for a started redis-server to answer PING.
const startTimeout = 10 * time.Second

// Server is one redis-server (or redis-sentinel) process owned by a test.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	// argv gives the arguments after the program's name; nil: a plain
	// server's (serverArgs).
	argv func(s *Server) []string

	mu     sync.Mutex
	proc   *os.Process
	exited chan struct{} // closed when proc has exited
}

// Start runs a redis-server on a free port for the duration of t.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, "redis-server", nil)
}

// StartWith runs a redis-server with extra arguments (such as
// "--replicaof", host, port) after the usual ones.
func StartWith(t testing.TB, extra ...string) *Server {
	t.Helper()
	return start(t, "redis-server", func(s *Server) []string { return append(serverArgs(s), extra...) })
}

// start runs program on a free port with argv's arguments (nil: a plain
// server's) for the duration of t.
func start(t testing.TB, program string, argv func(s *Server) []string) *Server {
	t.Helper()
	bin := need.Program(t, program)
	if argv == nil {
		argv = serverArgs
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), argv: argv}
	for attempt := 0; ; attempt++ {
		s.port = freePort(t)
		err := s.start()
		if err == nil {
			break
		}
		if attempt == 2 {
			t.Fatalf("redistest: %v", err)
		}
	}
	t.Cleanup(s.Stop)
	return s
}

// serverArgs are a plain redis-server's arguments: loopback only, a unix
// socket, no persistence.
func serverArgs(s *Server) []string {
	return []string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--unixsocket", s.Socket(), "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--loglevel", "warning", "--daemonize", "no"}
}

// Port is the server's TCP port.
func (s *Server) Port() int { return s.port }

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's redis:// URL, as redis.url takes it.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Socket is the path of the server's unix socket.
func (s *Server) Socket() string { return filepath.Join(s.dir, "redis.sock") }

// Stop kills the server and waits for it to exit. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	_ = s.proc.Kill()
	<-s.exited
	s.proc = nil
}

// Restart stops the server and starts an empty one on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.StartAgain()
}

// StartAgain starts a stopped server again, empty, on the same port.
func (s *Server) StartAgain() {
	s.t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		err := s.start()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redistest: restarting on port %d: %v", s.port, err)
		}
		time.Sleep(50 * time.Millisecond) // the port may linger briefly
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.bin, s.argv(s)...)
	out, err := os.Create(filepath.Join(s.dir, "redis.log"))
	if err != nil {
		return fmt.Errorf("creating the log: %w", err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(startTimeout)
	for {
		if ping(s.Addr()) == nil {
			s.proc, s.exited = cmd.Process, exited
			return nil
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(out.Name())
			return fmt.Errorf("%s on port %d exited: %s", filepath.Base(s.bin), s.port, strings.TrimSpace(string(log)))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("%s on port %d did not answer PING within %s", filepath.Base(s.bin), s.port, startTimeout)
		}
	}
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: finding a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Prefix returns a key prefix unique to t, for tests sharing one server.
func Prefix(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := unsafeChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	return "test-" + name + "-" + hex.EncodeToString(b[:])
}
