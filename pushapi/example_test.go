package pushapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/pushapi"
)

// hub stands for the Socket.IO side: it prints what it would send, and
// only alice has a page open.
type hub struct{}

func (hub) Publish(_ context.Context, to []string, content string) ([]bool, error) {
	if len(to) == 0 {
		fmt.Printf("new_msg %q to everyone\n", content)
		return nil, nil
	}
	fmt.Printf("new_msg %q to %s\n", content, strings.Join(to, " and "))
	return hub{}.Online(context.Background(), to)
}

func (hub) Online(_ context.Context, uids []string) ([]bool, error) {
	online := make([]bool, len(uids))
	for i, uid := range uids {
		online[i] = uid == "alice"
	}
	return online, nil
}

func (hub) Counts(context.Context) (adapter.Counts, error) {
	return adapter.Counts{UIDs: 1, Pages: 2}, nil
}

// answer prints the API's answer.
func answer(resp *http.Response, err error) {
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d %s\n", resp.StatusCode, body)
}

// A backend publishes with GET, as PHP's file_get_contents does: to one
// uid, to several, or to everyone. The content is escaped as PHP's
// htmlspecialchars does before anyone receives it.
func ExampleNew() {
	srv := httptest.NewServer(pushapi.New(hub{}, pushapi.Options{}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	c := srv.Client()

	answer(c.Get(srv.URL + "/?type=publish&to=alice&content=" + url.QueryEscape("<b>hi</b>")))
	answer(c.Get(srv.URL + "/?type=publish&to=bob&content=hi"))
	answer(c.Get(srv.URL + "/?type=publish&to[]=alice&to[]=bob&content=hi"))
	answer(c.Get(srv.URL + "/?type=publish&content=hello+all"))
	answer(c.Get(srv.URL + "/?type=online&uid=alice"))
	answer(c.Get(srv.URL + "/?type=count"))
	// Output:
	// new_msg "&lt;b&gt;hi&lt;/b&gt;" to alice
	// 200 ok
	// new_msg "hi" to bob
	// 200 offline
	// new_msg "hi" to alice and bob
	// 200 ok
	// new_msg "hello all" to everyone
	// 200 ok
	// 200 online
	// 200 {"uids":1,"pages":2}
}

// POST bodies: urlencoded (curl with a string of fields), JSON, and fields
// in both the URL and the body, where the body wins.
func ExampleNew_post() {
	srv := httptest.NewServer(pushapi.New(hub{}, pushapi.Options{}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	c := srv.Client()

	answer(c.PostForm(srv.URL, url.Values{"type": {"publish"}, "to": {"alice,bob"}, "content": {"it's"}}))
	answer(c.Post(srv.URL, "application/json", strings.NewReader(`{"type":"publish","to":["bob"],"content":"json"}`)))
	answer(c.PostForm(srv.URL+"/?type=publish&to=alice&content=url", url.Values{"content": {"body"}}))
	answer(c.PostForm(srv.URL, url.Values{"type": {"publish"}, "content[]": {"an array"}}))
	// Output:
	// new_msg "it&#039;s" to alice and bob
	// 200 ok
	// new_msg "json" to bob
	// 200 offline
	// new_msg "body" to alice
	// 200 ok
	// 200 fail
}

// With Accept: application/json, a publish names who was online.
func ExampleNew_json() {
	srv := httptest.NewServer(pushapi.New(hub{}, pushapi.Options{}, slog.New(slog.DiscardHandler)))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?type=publish&to=alice,bob&content=hi", nil)
	req.Header.Set("Accept", "application/json")
	answer(srv.Client().Do(req))
	// Output:
	// new_msg "hi" to alice and bob
	// 200 {"result":"ok","online":["alice"],"offline":["bob"]}
}
