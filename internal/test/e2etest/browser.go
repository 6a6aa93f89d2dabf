package e2etest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
)

// Artifact is where a test keeps a file for people to look at: its temp
// dir, or PUSHIO_E2E_ARTIFACTS when set.
func Artifact(t testing.TB, name string) string {
	dir := os.Getenv("PUSHIO_E2E_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return filepath.Join(dir, name)
}

// Browser is one browser.js process driving Chromium.
type Browser struct {
	t       testing.TB
	proc    *Node
	answers chan browserAnswer
	console harness.Buffer // the pages' console messages and errors
	nextID  int
}

type browserAnswer struct {
	ID    int    `json:"id"`
	Ev    string `json:"ev"`
	OK    bool   `json:"ok"`
	Value any    `json:"value"`
	Error string `json:"error"`
}

// BrowserTimeout bounds one command; waitText's own bound is below it.
const BrowserTimeout = 20 * time.Second

func StartBrowser(t testing.TB) *Browser {
	t.Helper()
	NeedNode(t)
	chromium := need.Program(t, "chromium")
	b := &Browser{t: t, answers: make(chan browserAnswer, 16)}
	b.proc = StartNode(t, b.line, 10*time.Second, "browser.js", chromium, t.TempDir())
	b.proc.Report = func() string { return "console:\n" + b.console.String() }
	return b
}

// line sorts a browser.js line into answers and console output.
func (b *Browser) line(l []byte) {
	var a browserAnswer
	if err := json.Unmarshal(l, &a); err != nil || a.Ev != "" {
		_, _ = b.console.Write(append(l, '\n'))
		return
	}
	select {
	case b.answers <- a:
	default: // nobody waits for it any more
		_, _ = b.console.Write(append(l, '\n'))
	}
}

// Do runs one command on a page, with its other fields given as
// key, value pairs, and returns its answer as text; t fails on an error.
func (b *Browser) Do(op, page string, kv ...any) string {
	b.t.Helper()
	v := b.Answer(op, page, kv...)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Decode runs one command as do does and decodes its answer into out.
func (b *Browser) Decode(out any, op, page string, kv ...any) {
	b.t.Helper()
	raw, _ := json.Marshal(b.Answer(op, page, kv...))
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("browser %s %v: answer %s: %v", op, kv, raw, err)
	}
}

// Answer runs one command and returns the value it answered.
func (b *Browser) Answer(op, page string, kv ...any) any {
	b.t.Helper()
	b.nextID++
	cmd := map[string]any{"id": b.nextID, "op": op, "page": page}
	for i := 0; i+1 < len(kv); i += 2 {
		cmd[kv[i].(string)] = kv[i+1]
	}
	line, _ := json.Marshal(cmd)
	if _, err := b.proc.Stdin.Write(append(line, '\n')); err != nil {
		b.t.Fatalf("browser %s: %v", op, err)
	}
	select {
	case a := <-b.answers:
		if a.ID != b.nextID || !a.OK {
			b.t.Fatalf("browser %s %v: %s (answer to command %d)", op, kv, a.Error, a.ID)
		}
		return a.Value
	case <-b.proc.Exited():
		b.t.Fatalf("browser %s: browser.js exited", op)
	case <-time.After(BrowserTimeout):
		b.t.Fatalf("browser %s: no answer within %s", op, BrowserTimeout)
	}
	return nil
}

// WaitText waits until the element's text on page contains text.
func (b *Browser) WaitText(page, selector, text string) string {
	b.t.Helper()
	return b.Do("waitText", page, "selector", selector, "text", text, "timeout_ms", 10000)
}

// T is the test the browser belongs to.
func (b *Browser) T() testing.TB { return b.t }

// ServePage serves page, with IO_URL replaced by p's io URL, from
// another origin (a port of its own) until t ends.
func ServePage(t testing.TB, p *harness.Pushio, page string) *httptest.Server {
	html := strings.ReplaceAll(page, "IO_URL", p.IOURL())
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, html)
	}))
	t.Cleanup(site.Close)
	return site
}
