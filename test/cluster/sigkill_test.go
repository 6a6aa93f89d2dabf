package cluster

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/clustertest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/redistest"
)

// buildPushio builds the pushio binary into a temporary directory.
func buildPushio(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pushio")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/pushio/pushio/cmd/pushio").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a pushio binary running as a child process.
type process struct {
	cmd      *exec.Cmd
	ioURL    string
	apiURL   string
	instance string
	exited   chan struct{}
}

// startProcess runs bin with args plus loopback listeners on free ports
// and JSON logs, and reads the addresses from its start-up line.
func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	args = append([]string{"--io.addr", "127.0.0.1:0", "--api.addr", "127.0.0.1:0", "--log.format", "json"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir() // no config.yaml there
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	started := make(chan map[string]any, 1)
	go p.readLog(stderr, started)
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	select {
	case line := <-started:
		p.ioURL = "http://" + line["io_addr"].(string)
		p.apiURL = "http://" + line["api_addr"].(string)
		p.instance, _ = line["instance"].(string)
	case <-p.exited:
		t.Fatalf("pushio %v exited before starting", args)
	case <-time.After(15 * time.Second):
		t.Fatalf("pushio %v: no start-up line within 15s", args)
	}
	return p
}

// readLog hands the start-up line to started and, with PUSHIO_TEST_LOG=1,
// echoes every line.
func (p *process) readLog(r io.Reader, started chan<- map[string]any) {
	echo := os.Getenv("PUSHIO_TEST_LOG") == "1"
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if echo {
			_, _ = os.Stderr.Write(append(sc.Bytes(), '\n'))
		}
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "pushio started" {
			started <- line
		}
	}
}

func TestKilledInstanceGoesOffline(t *testing.T) {
	const ttl = 2 * time.Second
	redis := redistest.Start(t)
	bin := buildPushio(t)
	args := []string{"--redis.url", redis.URL(), "--redis.prefix", redistest.Prefix(t), "--redis.presence_ttl", ttl.String()}
	victim := startProcess(t, bin, args...)
	survivor := startProcess(t, bin, args...)
	if victim.instance == "" || victim.instance == survivor.instance {
		t.Fatalf("instance ids %q and %q: want two distinct ones", victim.instance, survivor.instance)
	}

	clustertest.Login(t, victim.ioURL, "doomed")
	clustertest.Login(t, survivor.ioURL, "alive")
	clustertest.WantAnswer(t, survivor.apiURL, "type=online&uid=doomed", "online")
	clustertest.WantAnswer(t, survivor.apiURL, "type=count", `{"uids":2,"pages":2}`)

	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	took := eventually.True(t, ttl+time.Second, "the killed instance's uid goes offline", func() bool {
		_, body := clustertest.Get(t, survivor.apiURL, "type=online&uid=doomed")
		return body == "offline"
	})
	t.Logf("SIGKILLed instance's uid went offline after %s (redis.presence_ttl %s)", took.Round(time.Millisecond), ttl)
	clustertest.WantAnswer(t, survivor.apiURL, "type=count", `{"uids":1,"pages":1}`)
	clustertest.WantAnswer(t, survivor.apiURL, "type=online&uid=alive", "online")
}
