package pushapi

import (
	"context"
	"fmt"
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
	"github.com/pushio/pushio/push"
)

// recorder is a Publisher that records what the API asks of it. Uids
// starting with "on" are online, unless online lists who is.
type recorder struct {
	online map[string]bool
	counts adapter.Counts
	err    error // returned by every call when set
	panics bool  // Publish panics when set

	mu      sync.Mutex
	sends   []send
	batches []int      // the number of requests of each Send call
	asked   [][]string // uids of Reach calls
	// groupCalls are the group calls, each with its arguments.
	groupCalls []string
}

// send is one request the recorder got: its targets, its message (event
// "" for the default, json "" for content) and whether it kicks.
type send struct {
	to      []string
	content string
	event   string
	json    string
	clients []string
	exclude []string
	kick    bool
	quiet   bool // a kick without a message
}

// sendOf is what r is recorded as.
func sendOf(r push.Request) send {
	s := send{to: slices.Clone(r.Targets.UIDs), clients: slices.Clone(r.Targets.Clients),
		exclude: slices.Clone(r.Targets.Exclude), kick: r.Kick, quiet: r.Message == nil}
	if m := r.Message; m != nil {
		s.content, s.event, s.json = m.Text, m.Event, string(m.JSON)
	}
	return s
}

// onlineRecorder is a recorder for which exactly uids are online.
func onlineRecorder(uids ...string) *recorder {
	r := &recorder{online: map[string]bool{}}
	for _, uid := range uids {
		r.online[uid] = true
	}
	return r
}

func (r *recorder) Send(_ context.Context, reqs []push.Request) ([]push.Reach, error) {
	if r.panics {
		panic("recorder panics")
	}
	if r.err != nil {
		return nil, r.err
	}
	r.mu.Lock()
	r.batches = append(r.batches, len(reqs))
	reach := make([]push.Reach, len(reqs))
	for i, req := range reqs {
		r.sends = append(r.sends, sendOf(req))
		reach[i] = push.Reach{UIDs: r.flags(req.Targets.UIDs), Clients: r.flags(req.Targets.Clients)}
	}
	r.mu.Unlock()
	return reach, nil
}

func (r *recorder) Reach(_ context.Context, t push.Targets) (push.Reach, error) {
	if r.err != nil {
		return push.Reach{}, r.err
	}
	r.mu.Lock()
	r.asked = append(r.asked, slices.Clone(t.UIDs))
	r.mu.Unlock()
	return push.Reach{UIDs: r.flags(t.UIDs), Clients: r.flags(t.Clients)}, nil
}

// Clients lists c0 … c24 for uid "many", the online ones for any other.
func (r *recorder) Clients(_ context.Context, uid, after string, limit int) ([]string, bool, error) {
	if r.err != nil {
		return nil, false, r.err
	}
	var all []string
	if uid == "many" {
		for i := range 25 {
			all = append(all, fmt.Sprintf("c%02d", i))
		}
	} else if r.flags([]string{uid})[0] {
		all = []string{uid + "-page"}
	}
	i, _ := slices.BinarySearch(all, after)
	if i < len(all) && all[i] == after {
		i++
	}
	all = all[i:]
	if len(all) > limit {
		return all[:limit], true, nil
	}
	return all, false, nil
}

func (r *recorder) Counts(context.Context) (adapter.Counts, error) { return r.counts, r.err }

func (r *recorder) published() []send {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sends)
}

// sendCalls returns the number of requests of each Send call so far.
func (r *recorder) sendCalls() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

// onlineAsked returns the uids of the Reach calls so far.
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
