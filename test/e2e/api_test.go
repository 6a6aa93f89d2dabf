package e2e

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
)

// httpClient bounds every request a test makes.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// call sends one request and returns the status and body.
func call(t testing.TB, method, target, contentType, body string) (int, string) {
	t.Helper()
	status, answer, _, err := send(method, target, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, answer
}

// send is call for goroutines other than the test's, with the answer's
// header too.
func send(method, target, contentType, body string) (int, string, http.Header, error) {
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		return 0, "", nil, fmt.Errorf("request %s %s: %w", method, target, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(req)
}

// getAs GETs target, asking for the JSON answer when asJSON, and returns
// the status and body.
func getAs(t testing.TB, target string, asJSON bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	status, answer, _, err := do(req)
	if err != nil {
		t.Fatal(err)
	}
	return status, answer
}

// do sends req and returns the status, body and header of its answer.
func do(req *http.Request) (int, string, http.Header, error) {
	resp, err := httpClient.Do(req)
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

// apiGet sends GET /?rawQuery to the publish API and returns the body of
// its 200 answer.
func apiGet(t testing.TB, p *harness.Pushio, rawQuery string) string {
	t.Helper()
	status, body := call(t, http.MethodGet, p.APIURL()+"/?"+rawQuery, "", "")
	if status != http.StatusOK {
		t.Fatalf("GET /?%s: status %d (%q), want 200", rawQuery, status, body)
	}
	return body
}

// publish pushes content to uid to (to everyone when to is empty) and
// returns the answer: ok, offline or fail.
func publish(t testing.TB, p *harness.Pushio, to, content string) string {
	t.Helper()
	q := url.Values{"type": {"publish"}, "content": {content}}
	if to != "" {
		q.Set("to", to)
	}
	return apiGet(t, p, q.Encode())
}

// online answers type=online for uid.
func online(t testing.TB, p *harness.Pushio, uid string) string {
	t.Helper()
	return apiGet(t, p, url.Values{"type": {"online"}, "uid": {uid}}.Encode())
}

// waitOnline polls type=online until it answers want, within timeout.
func waitOnline(t testing.TB, p *harness.Pushio, uid, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := online(t, p, uid)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("type=online&uid=%s: %q after %s, want %q", uid, got, timeout, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countsText is update_online_count's text for n uids on m pages.
func countsText(uids, pages int) string {
	return "当前<b>" + strconv.Itoa(uids) + "</b>人在线，共打开<b>" + strconv.Itoa(pages) + "</b>个页面"
}
