package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
)

// phpClient runs calls of the PHP client (clients/php) under php-cli, as
// a backend that installed it with composer from a path repository.
type phpClient struct {
	t        testing.TB
	php      string
	dir      string // the project that installed it
	autoload string // the project's vendor/autoload.php
}

// phpCall is one method call: testdata/client.php calls Method(...Args).
type phpCall struct {
	Method string
	Args   []any
}

func (c phpCall) MarshalJSON() ([]byte, error) {
	args := c.Args
	if args == nil {
		args = []any{}
	}
	return json.Marshal([]any{c.Method, args})
}

// phpDo is a phpCall of method with args.
func phpDo(method string, args ...any) phpCall { return phpCall{Method: method, Args: args} }

// phpResult is what one call returned or threw.
type phpResult struct {
	Answer    json.RawMessage `json:"answer"`
	Exception string          `json:"exception"`
	Code      int             `json:"code"`
	Message   string          `json:"message"`
	Status    int             `json:"status"`
	Body      string          `json:"body"`
	Reason    string          `json:"reason"`
}

// newPHPClient installs clients/php with composer (a path repository,
// packagist off: offline) into a project of t's own.
func newPHPClient(t testing.TB) *phpClient {
	t.Helper()
	php := need.PHP(t)
	composer := need.Program(t, "composer")
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	project, err := json.Marshal(map[string]any{
		"require": map[string]string{"pushio/client": "*@dev"},
		"repositories": []any{
			map[string]any{"type": "path", "url": filepath.Join(root, "clients", "php")},
			map[string]bool{"packagist.org": false},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "composer.json"), project, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, composer, "install", "--no-interaction", "--no-progress")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COMPOSER_HOME="+filepath.Join(dir, ".composer"), "COMPOSER_ALLOW_SUPERUSER=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("composer install of clients/php: %v\n%s", err, out)
	}
	return &phpClient{t: t, php: php, dir: dir, autoload: filepath.Join(dir, "vendor", "autoload.php")}
}

// run makes calls in order with one Client of url and options, and
// returns what each returned or threw.
func (c *phpClient) run(url string, options map[string]any, calls ...phpCall) []phpResult {
	c.t.Helper()
	if options == nil {
		options = map[string]any{}
	}
	spec, err := json.Marshal(map[string]any{"url": url, "options": options, "calls": calls})
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.php, "testdata/client.php", c.autoload, string(spec))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		c.t.Fatalf("php testdata/client.php %s: %v\nstdout:\n%s\nstderr:\n%s", spec, err, out, stderr.String())
	}
	var results []phpResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var r phpResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			c.t.Fatalf("php printed %q: %v", sc.Text(), err)
		}
		results = append(results, r)
	}
	if len(results) != len(calls) {
		c.t.Fatalf("php printed %d results for %d calls:\n%s", len(results), len(calls), out)
	}
	return results
}

// one makes one call and returns its result.
func (c *phpClient) one(url string, options map[string]any, method string, args ...any) phpResult {
	c.t.Helper()
	return c.run(url, options, phpDo(method, args...))[0]
}

// answer decodes r's answer into v; t fails if the call threw.
func (r phpResult) answer(t testing.TB, v any) {
	t.Helper()
	if r.Exception != "" {
		t.Fatalf("the call threw %s: %s", r.Exception, r.Message)
	}
	if err := json.Unmarshal(r.Answer, v); err != nil {
		t.Fatalf("answer %s: %v", r.Answer, err)
	}
}

// answerOf is r's answer decoded as a T.
func answerOf[T any](t testing.TB, r phpResult) T {
	t.Helper()
	var v T
	r.answer(t, &v)
	return v
}

// threw checks that r is an exception of class (with status, unless 0)
// whose message says what.
func (r phpResult) threw(t testing.TB, class string, status int, what string) {
	t.Helper()
	switch {
	case r.Exception != class:
		t.Errorf("got %s (%s) answer %s, want %s", r.Exception, r.Message, r.Answer, class)
	case status != 0 && r.Status != status:
		t.Errorf("%s with status %d (%s), want %d", class, r.Status, r.Message, status)
	case !strings.Contains(r.Message, what):
		t.Errorf("%s message %q does not say %q", class, r.Message, what)
	}
}

// script runs code as a PHP file of the project (so that its
// require 'vendor/autoload.php' finds the client) with env added, and
// returns what it printed; t fails if it fails or warns.
func (c *phpClient) script(code string, env ...string) string {
	c.t.Helper()
	file := filepath.Join(c.dir, "script.php")
	if err := os.WriteFile(file, []byte(code), 0o644); err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.php, file)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		c.t.Fatalf("php:\n%s\n%v\nstdout:\n%s\nstderr:\n%s", code, err, out, stderr.String())
	}
	return string(out)
}

// readmeBlock returns the index-th ```lang block after the heading line
// of the markdown file at path (from the repository's root).
func readmeBlock(t testing.TB, path, heading, lang string, index int) string {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no heading %q", path, heading)
	}
	for i := 0; ; i++ {
		var found bool
		_, rest, found = strings.Cut(rest, "\n```"+lang+"\n")
		if !found {
			t.Fatalf("%s: no %d-th %s block under %q", path, index, lang, heading)
		}
		block, after, _ := strings.Cut(rest, "\n```\n")
		if i == index {
			return block + "\n"
		}
		rest = after
	}
}
