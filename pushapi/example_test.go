package pushapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/push"
	"github.com/pushio/pushio/pushapi"
)

// hub stands for the Socket.IO side: it prints what it would send, and
// only alice has a page open, page "p1".
type hub struct{}

func (hub) Send(ctx context.Context, reqs []push.Request) ([]push.Reach, error) {
	reach := make([]push.Reach, len(reqs))
	for i, r := range reqs {
		to := "everyone"
		if !r.Targets.Broadcast() {
			to = strings.Join(append(slices.Clone(r.Targets.UIDs), r.Targets.Clients...), " and ")
		}
		if m := r.Message; m != nil && m.JSON != nil {
			fmt.Printf("%s %s to %s\n", m.Name(), m.JSON, to)
		} else if m != nil {
			fmt.Printf("%s %q to %s\n", m.Name(), m.Text, to)
		}
		if r.Kick {
			fmt.Printf("disconnect %s\n", to)
		}
		reach[i], _ = hub{}.Reach(ctx, r.Targets)
	}
	return reach, nil
}

func (hub) Reach(_ context.Context, t push.Targets) (push.Reach, error) {
	r := push.Reach{UIDs: make([]bool, len(t.UIDs)), Clients: make([]bool, len(t.Clients))}
	for i, uid := range t.UIDs {
		r.UIDs[i] = uid == "alice"
	}
	for i, c := range t.Clients {
		r.Clients[i] = c == "p1"
	}
	return r, nil
}

func (hub) Clients(_ context.Context, uid, after string, _ int) ([]string, bool, error) {
	if uid == "alice" && after == "" {
		return []string{"p1"}, false, nil
	}
	return nil, false, nil
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

// Any event with a JSON value, to a page by its client id, leaving a page
// out, kicks, the pages of a uid, and a batch.
func ExampleNew_gateway() {
	srv := httptest.NewServer(pushapi.New(hub{}, pushapi.Options{}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	c := srv.Client()

	answer(c.Get(srv.URL + "/?type=publish&event=order.paid&json=" + url.QueryEscape(`{"id": 7, "total": 9.5}`) + "&to=alice"))
	answer(c.Get(srv.URL + "/?type=publish&client=p1&content=hi"))
	answer(c.Get(srv.URL + "/?type=publish&to=alice&exclude=p1&content=hi"))
	answer(c.Get(srv.URL + "/?type=kick&uid=alice&event=logout&content=bye"))
	answer(c.Get(srv.URL + "/?type=online&client=p2"))
	answer(c.Get(srv.URL + "/?type=clients&uid=alice"))
	answer(c.Get(srv.URL + "/?type=publish&event=disconnect&content=x"))
	answer(c.Post(srv.URL, "application/json", strings.NewReader(`[{"to":"bob","content":"x"},{"client":"p1","json":[1]},{"to":"alice","event":"connect"}]`)))
	// Output:
	// order.paid {"id":7,"total":9.5} to alice
	// 200 ok
	// new_msg "hi" to p1
	// 200 ok
	// new_msg "hi" to alice
	// 200 ok
	// logout "bye" to alice
	// disconnect alice
	// 200 ok
	// 200 offline
	// 200 {"clients":["p1"],"cursor":""}
	// 400 fail
	// new_msg "x" to bob
	// new_msg [1] to p1
	// 200 [{"result":"offline","online":[],"offline":["bob"]},{"result":"ok","online":[],"offline":[],"clients":{"online":["p1"],"offline":[]}},{"result":"fail","error":"event is reserved: connect"}]
}

// The example's groups: "staff" has alice; the hub prints what it would
// record.

func (hub) JoinGroups(_ context.Context, uids, groups []string) error {
	fmt.Printf("%s join %s\n", uids, groups)
	return nil
}

func (hub) LeaveGroups(_ context.Context, uids, groups []string) error {
	fmt.Printf("%s leave %s\n", uids, groups)
	return nil
}

func (hub) JoinClients(ctx context.Context, clients, groups []string) ([]bool, error) {
	fmt.Printf("pages %s join %s\n", clients, groups)
	r, _ := hub{}.Reach(ctx, push.Targets{Clients: clients})
	return r.Clients, nil
}

func (hub) LeaveClients(ctx context.Context, clients, groups []string) ([]bool, error) {
	fmt.Printf("pages %s leave %s\n", clients, groups)
	r, _ := hub{}.Reach(ctx, push.Targets{Clients: clients})
	return r.Clients, nil
}

func (hub) Ungroup(_ context.Context, groups []string) error {
	fmt.Printf("ungroup %s\n", groups)
	return nil
}

func (hub) GroupCounts(_ context.Context, group string) (adapter.Counts, error) {
	if group == "staff" {
		return adapter.Counts{UIDs: 1, Pages: 2}, nil
	}
	return adapter.Counts{}, nil
}

func (hub) UIDs(_ context.Context, group, _ string, _ int) ([]string, string, error) {
	if group == "" || group == "staff" {
		return []string{"alice"}, "", nil
	}
	return nil, "", nil
}

// GatewayWorker's groups: joinGroup by uid or by page, a push to a group
// (and a uid), its counts and uids, leaveGroup and ungroup.
func ExampleNew_groups() {
	srv := httptest.NewServer(pushapi.New(hub{}, pushapi.Options{}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	c := srv.Client()

	answer(c.Get(srv.URL + "/?type=join&group=staff&uid=alice"))
	answer(c.Get(srv.URL + "/?type=join&group=staff&client=p9"))
	answer(c.Get(srv.URL + "/?type=count&group=staff"))
	answer(c.Get(srv.URL + "/?type=uids&group=staff"))
	answer(c.Get(srv.URL + "/?type=leave&group=staff&uid=alice"))
	answer(c.Get(srv.URL + "/?type=ungroup&group=staff"))
	// Output:
	// [alice] join [staff]
	// 200 ok
	// pages [p9] join [staff]
	// 200 offline
	// 200 {"uids":1,"pages":2}
	// 200 {"uids":["alice"],"cursor":""}
	// [alice] leave [staff]
	// 200 ok
	// ungroup [staff]
	// 200 ok
}
