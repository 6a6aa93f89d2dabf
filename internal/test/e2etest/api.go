package e2etest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/metricstest"
)

// HTTPClient bounds every request a test makes.
var HTTPClient = &http.Client{Timeout: 10 * time.Second}

// Call sends one request and returns the status and body.
func Call(t testing.TB, method, target, contentType, body string) (int, string) {
	t.Helper()
	status, answer, _, err := Send(method, target, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, answer
}

// Send is call for goroutines other than the test's, with the answer's
// header too.
func Send(method, target, contentType, body string) (int, string, http.Header, error) {
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		return 0, "", nil, fmt.Errorf("request %s %s: %w", method, target, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return Do(req)
}

// GetAs GETs target, asking for the JSON answer when asJSON, and returns
// the status and body.
func GetAs(t testing.TB, target string, asJSON bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	status, answer, _, err := Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return status, answer
}

// Do sends req and returns the status, body and header of its answer.
func Do(req *http.Request) (int, string, http.Header, error) {
	resp, err := HTTPClient.Do(req)
	if err != nil {
		return 0, "", nil, fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", nil, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL, err)
	}
	return resp.StatusCode, string(b), resp.Header, nil
}

// APIGet sends GET /?rawQuery to the publish API and returns the body of
// its 200 answer.
func APIGet(t testing.TB, p *harness.Pushio, rawQuery string) string {
	t.Helper()
	status, body := Call(t, http.MethodGet, p.APIURL()+"/?"+rawQuery, "", "")
	if status != http.StatusOK {
		t.Fatalf("GET /?%s: status %d (%q), want 200", rawQuery, status, body)
	}
	return body
}

// Publish pushes content to uid to (to everyone when to is empty) and
// returns the answer: ok, offline or fail.
func Publish(t testing.TB, p *harness.Pushio, to, content string) string {
	t.Helper()
	q := url.Values{"type": {"publish"}, "content": {content}}
	if to != "" {
		q.Set("to", to)
	}
	return APIGet(t, p, q.Encode())
}

// Online answers type=online for uid.
func Online(t testing.TB, p *harness.Pushio, uid string) string {
	t.Helper()
	return APIGet(t, p, url.Values{"type": {"online"}, "uid": {uid}}.Encode())
}

// WaitOnline polls type=online until it answers want, within timeout.
func WaitOnline(t testing.TB, p *harness.Pushio, uid, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := Online(t, p, uid)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("type=online&uid=%s: %q after %s, want %q", uid, got, timeout, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CountsText is update_online_count's text for n uids on m pages.
func CountsText(uids, pages int) string {
	return "当前<b>" + strconv.Itoa(uids) + "</b>人在线，共打开<b>" + strconv.Itoa(pages) + "</b>个页面"
}

// Content with every character htmlspecialchars changes, non-ASCII text
// and an emoji (a UTF-16 surrogate pair), and what clients must receive.
const (
	RichContent = `<b>"&'</b> 你好，世界 😀`
	RichEscaped = `&lt;b&gt;&quot;&amp;&#039;&lt;/b&gt; 你好，世界 😀`
)

// StartPushio runs an instance for t with extra flags; counts are sent
// every 200ms so that tests need not wait a second for them.
func StartPushio(t testing.TB, args ...string) *harness.Pushio {
	t.Helper()
	p := harness.StartT(t, harness.Binary(), harness.Options{
		Args: append([]string{"--counts.interval", "200ms"}, args...),
	})
	// Before the stop: a connection the client opened but never used
	// holds net/http's graceful shutdown for 5s.
	t.Cleanup(HTTPClient.CloseIdleConnections)
	return p
}

// Metrics reads p's /metrics.
func Metrics(t testing.TB, p *harness.Pushio) metricstest.Families {
	t.Helper()
	res, err := HTTPClient.Get(p.APIURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return metricstest.Parse(t, res.Body)
}
