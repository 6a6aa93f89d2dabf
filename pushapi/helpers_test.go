package pushapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/test/testlog"
)

// recorder is a Publisher that records what the API asks of it. Uids
// starting with "on" are online, unless online lists who is.
type recorder struct {
	online map[string]bool
	counts adapter.Counts
	err    error // returned by every call when set
	panics bool  // Publish panics when set

	mu    sync.Mutex
	sends []send
	asked [][]string // uids of Online calls
}

type send struct {
	to      []string
	content string
}

// onlineRecorder is a recorder for which exactly uids are online.
func onlineRecorder(uids ...string) *recorder {
	r := &recorder{online: map[string]bool{}}
	for _, uid := range uids {
		r.online[uid] = true
	}
	return r
}

func (r *recorder) Publish(_ context.Context, to []string, content string) ([]bool, error) {
	if r.panics {
		panic("recorder panics")
	}
	if r.err != nil {
		return nil, r.err
	}
	r.mu.Lock()
	r.sends = append(r.sends, send{slices.Clone(to), content})
	r.mu.Unlock()
	return r.flags(to), nil
}

func (r *recorder) Online(_ context.Context, uids []string) ([]bool, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.mu.Lock()
	r.asked = append(r.asked, slices.Clone(uids))
	r.mu.Unlock()
	return r.flags(uids), nil
}

func (r *recorder) Counts(context.Context) (adapter.Counts, error) { return r.counts, r.err }

func (r *recorder) published() []send {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sends)
}

// onlineAsked returns the uids of the Online calls so far.
func (r *recorder) onlineAsked() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.asked)
}

func (r *recorder) flags(uids []string) []bool {
	out := make([]bool, len(uids))
	for i, u := range uids {
		if r.online != nil {
			out[i] = r.online[u]
		} else {
			out[i] = strings.HasPrefix(u, "on")
		}
	}
	return out
}

// startAPI serves the API with opts on 127.0.0.1:0.
func startAPI(t *testing.T, opts Options) (*recorder, string) {
	t.Helper()
	rec := &recorder{}
	return rec, serveAPI(t, rec, opts)
}

// serveAPI serves the API over pub on 127.0.0.1:0 and returns its URL.
func serveAPI(t *testing.T, pub Publisher, opts Options) string {
	t.Helper()
	srv := httptest.NewServer(New(pub, opts, testlog.Logger()))
	t.Cleanup(srv.Close)
	return srv.URL
}

// clientFrom is an HTTP client whose connections come from the loopback
// address local, so that one test can be several API clients.
func clientFrom(t *testing.T, local string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// answer is a response's status, body and content type.
type answer struct {
	status      int
	body        string
	contentType string
}

func do(t *testing.T, c *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return answer{resp.StatusCode, string(b), resp.Header.Get("Content-Type")}
}

func get(t *testing.T, rawURL string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func postForm(t *testing.T, rawURL string, form url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func postBody(t *testing.T, rawURL, contentType, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return req
}
