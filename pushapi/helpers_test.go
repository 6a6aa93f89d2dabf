package pushapi

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/adapter"
)

// recorder is a Publisher that records publishes; uids starting with "on"
// are online.
type recorder struct {
	mu    sync.Mutex
	sends []send
}

type send struct {
	to      []string
	content string
}

func (r *recorder) Publish(_ context.Context, to []string, content string) ([]bool, error) {
	r.mu.Lock()
	r.sends = append(r.sends, send{to, content})
	r.mu.Unlock()
	return onlineFlags(to), nil
}

func (r *recorder) Online(_ context.Context, uids []string) ([]bool, error) {
	return onlineFlags(uids), nil
}

func (r *recorder) Counts(context.Context) (adapter.Counts, error) { return adapter.Counts{}, nil }

func (r *recorder) published() []send {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]send(nil), r.sends...)
}

func onlineFlags(uids []string) []bool {
	out := make([]bool, len(uids))
	for i, u := range uids {
		out[i] = strings.HasPrefix(u, "on")
	}
	return out
}

// startAPI serves the API with opts on 127.0.0.1:0.
func startAPI(t *testing.T, opts Options) (*recorder, string) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(New(rec, opts, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return rec, srv.URL
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
