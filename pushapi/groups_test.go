package pushapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/adapter/memory"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/testlog"
	"github.com/pushio/pushio/server"
)

// The recorder's groups: each call is recorded as its name and arguments;
// a uid "full" is in too many groups.

func (r *recorder) record(call string, args ...[]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.groupCalls = append(r.groupCalls, fmt.Sprint(call, args))
}

func (r *recorder) JoinGroups(_ context.Context, uids, groups []string) error {
	r.record("JoinGroups", uids, groups)
	if slices.Contains(uids, "full") {
		return &adapter.TooManyGroupsError{UID: "full", Max: 1}
	}
	return r.err
}

func (r *recorder) LeaveGroups(_ context.Context, uids, groups []string) error {
	r.record("LeaveGroups", uids, groups)
	return r.err
}

func (r *recorder) JoinClients(_ context.Context, clients, groups []string) ([]bool, error) {
	r.record("JoinClients", clients, groups)
	return r.flags(clients), r.err
}

func (r *recorder) LeaveClients(_ context.Context, clients, groups []string) ([]bool, error) {
	r.record("LeaveClients", clients, groups)
	return r.flags(clients), r.err
}

func (r *recorder) Ungroup(_ context.Context, groups []string) error {
	r.record("Ungroup", groups)
	return r.err
}

func (r *recorder) GroupCounts(_ context.Context, group string) (adapter.Counts, error) {
	r.record("GroupCounts", []string{group})
	return r.counts, r.err
}

func (r *recorder) UIDs(_ context.Context, group, cursor string, limit int) ([]string, string, error) {
	r.record("UIDs", []string{group, cursor, fmt.Sprint(limit)})
	if cursor == "bad" {
		return nil, "", adapter.ErrBadCursor
	}
	return []string{"on1"}, "", r.err
}

func (r *recorder) groupsAsked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.groupCalls)
}

// TestGroupRequests checks what each group request asks and answers, and
// that a refused one asks nothing and sends nothing.
func TestGroupRequests(t *testing.T) {
	long := strings.Repeat("g", 1025)
	tests := []struct {
		name   string
		query  string
		status int
		body   string
		asked  []string // groups calls
	}{
		{"join by uid", "type=join&group=g&uid=a", 200, "ok", []string{"JoinGroups[[a] [g]]"}},
		{"join lists", "type=join&group[]=g&group[]=h&uid=a,b", 200, "ok", []string{"JoinGroups[[a b] [g h]]"}},
		{"join by client, online", "type=join&group=g&client=on1", 200, "ok", []string{"JoinClients[[on1] [g]]"}},
		{"join by client, offline", "type=join&group=g&client=c1", 200, "offline", []string{"JoinClients[[c1] [g]]"}},
		{"leave by uid", "type=leave&group=g&uid=a", 200, "ok", []string{"LeaveGroups[[a] [g]]"}},
		{"leave by client", "type=leave&group=g&client=on1", 200, "ok", []string{"LeaveClients[[on1] [g]]"}},
		{"ungroup", "type=ungroup&group=g,h", 200, "ok", []string{"Ungroup[[g h]]"}},
		{"too many groups", "type=join&group=g&uid=full", 409, "fail", []string{"JoinGroups[[full] [g]]"}},
		{"count of a group", "type=count&group=g", 200, `{"uids":0,"pages":0}`, []string{"GroupCounts[[g]]"}},
		{"uids", "type=uids", 200, `{"uids":["on1"],"cursor":""}`, []string{"UIDs[[  1000]]"}},
		{"uids of a group, paged", "type=uids&group=g&limit=5&cursor=Y3Vy", 200, `{"uids":["on1"],"cursor":""}`, []string{"UIDs[[g Y3Vy 5]]"}},
		{"a cursor this API did not give", "type=uids&cursor=bad", 400, "fail", []string{"UIDs[[ bad 1000]]"}},
		{"join without group", "type=join&uid=a", 400, "fail", nil},
		{"join without uid or client", "type=join&group=g", 400, "fail", nil},
		{"a group name too long", "type=join&group=" + long + "&uid=a", 400, "fail", nil},
		{"a group name not UTF-8", "type=join&group=%FF&uid=a", 400, "fail", nil},
		{"a group room's prefix", "type=join&group=%1Dg&uid=a", 400, "fail", nil},
		{"group[]= naming nothing", "type=ungroup&group[]=", 400, "fail", nil},
		{"count of two groups", "type=count&group=g,h", 400, "fail", nil},
		{"uids over the limit", "type=uids&limit=10001", 400, "fail", nil},
		{"a publish to a bad group", "type=publish&group=%FF&content=x", 400, "fail", nil},
		{"a kick of a group", "type=kick&group=g&uid=a", 400, "fail", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, base := startAPI(t, Options{})
			got := do(t, http.DefaultClient, get(t, base+"/?"+tt.query))
			if got.status != tt.status || got.body != tt.body {
				t.Errorf("%s: %d %q, want %d %q", tt.query, got.status, got.body, tt.status, tt.body)
			}
			if asked := rec.groupsAsked(); !slices.Equal(asked, tt.asked) {
				t.Errorf("asked %q, want %q", asked, tt.asked)
			}
			if tt.status != 200 && len(rec.published()) != 0 {
				t.Errorf("a refused request sent %v", rec.published())
			}
		})
	}
}

// TestGroupAnswers runs the group requests against a real server on one
// node: their JSON answers, the groups of a publish, the counts.
func TestGroupAnswers(t *testing.T) {
	srv, err := server.New(server.Options{SocketIO: settings.SocketIO{Path: "/socket.io"}, Groups: settings.Groups{MaxPerUID: 2}}, memory.New(), testlog.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	base := serveAPI(t, srv, Options{})
	ask := func(q string) answer {
		t.Helper()
		req := get(t, base+"/?"+q)
		req.Header.Set("Accept", "application/json")
		return do(t, http.DefaultClient, req)
	}
	steps := []struct {
		query, want string
		status      int
	}{
		{"type=join&group=g1,g2&uid=alice", `{"result":"ok"}`, 200},
		{"type=join&group=g3&uid=alice", "fail", 409},
		{"type=join&group=g&client=nobody", `{"result":"offline","clients":{"online":[],"offline":["nobody"]}}`, 200},
		{"type=online&group=g1,none", `{"result":"offline","online":[],"offline":[],"groups":{"online":[],"offline":["g1","none"]}}`, 200},
		{"type=publish&group=g1&to=bob&content=x", `{"result":"offline","online":[],"offline":["bob"],"groups":{"online":[],"offline":["g1"]}}`, 200},
		{"type=count&group=g1", `{"uids":0,"pages":0}`, 200},
		{"type=uids&group=g1", `{"uids":[],"cursor":""}`, 200},
		{"type=ungroup&group=g1", `{"result":"ok"}`, 200},
		{"type=join&group=g3&uid=alice", `{"result":"ok"}`, 200}, // g1 gone: room for g3
	}
	for _, st := range steps {
		got := ask(st.query)
		if got.status != st.status || got.body != st.want {
			t.Errorf("%s: %d %s, want %d %s", st.query, got.status, got.body, st.status, st.want)
		}
	}
	if got := ask("type=count"); got.body != `{"uids":0,"pages":0}` {
		t.Errorf("type=count changed: %s", got.body)
	}
}
