package pushapi

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/push"
)

// errNoTargets is a list field that names nothing at all (to[]= or to=",").
var errNoTargets = errors.New("names nothing")

// list reads a list field: name[]=a&name[]=b, name[0]=a, a JSON array, or
// name=a,b. An absent or empty plain field is no list at all (for to=, a
// broadcast); a field given but naming only empty items is an error.
// Duplicates are dropped, order kept.
func list(p params, name string) ([]string, error) {
	f := p[name]
	if f == nil {
		return nil, nil
	}
	raw := f.values
	if !f.isArray {
		if raw[0] == "" {
			return nil, nil
		}
		if !strings.Contains(raw[0], ",") {
			return raw[:1:1], nil // one item: the usual case
		}
		raw = strings.Split(raw[0], ",")
	}
	seen := make(map[string]bool, len(raw))
	out := make([]string, 0, len(raw))
	for _, item := range raw {
		if item == "" || seen[item] {
			continue
		}
		seen[item] = true
		out = append(out, item)
	}
	if len(out) == 0 {
		return nil, errNoTargets
	}
	return out, nil
}

// publish: type=publish&to=U&content=C (and event, json, client,
// exclude), or type=kick&uid=U|client=C. Content is escaped here, once.
func (a *api) publish(ctx context.Context, c *gin.Context, p params, kind string) {
	r, err := readRequest(p, kind)
	if err != nil {
		a.refuseItem(c, err)
		return
	}
	reach, err := a.pub.Send(ctx, []push.Request{r})
	if err != nil {
		a.unavailable(c, kind, err)
		return
	}
	a.served()
	a.opts.Metrics.Published(a.answerPresence(c, r.Targets, reach[0], answerOK))
}

// refuseItem answers fail with the status of err (a refusal).
func (a *api) refuseItem(c *gin.Context, err error) {
	r := refusalOf(err)
	a.log.Debug("api: refused request", "reason", r.why)
	a.fail(c, r.status, metrics.ResultFail)
}

// online: type=online&uid=U, client=C and/or group=G answers online or
// offline.
func (a *api) online(ctx context.Context, c *gin.Context, p params) {
	uids, err := list(p, "uid")
	if err != nil {
		a.fail(c, http.StatusOK, metrics.ResultFail)
		return
	}
	clients, err := list(p, "client")
	if err != nil {
		a.fail(c, http.StatusBadRequest, metrics.ResultFail)
		return
	}
	groups, err := groupList(p, false)
	if err != nil {
		a.refuseItem(c, err)
		return
	}
	t := push.Targets{UIDs: uids, Clients: clients, Groups: groups}
	if t.Broadcast() {
		a.fail(c, http.StatusOK, metrics.ResultFail)
		return
	}
	reach, err := a.pub.Reach(ctx, t)
	if err != nil {
		a.unavailable(c, "online", err)
		return
	}
	a.served()
	a.answerPresence(c, t, reach, answerOnline)
}

// count: type=count answers {"uids":N,"pages":M}, of the whole cluster or,
// with group=G, of that group.
func (a *api) count(ctx context.Context, c *gin.Context, p params) {
	group, err := oneGroup(p, false)
	if err != nil {
		a.refuseItem(c, err)
		return
	}
	var counts adapter.Counts
	if group == "" {
		counts, err = a.pub.Counts(ctx)
	} else {
		counts, err = a.pub.GroupCounts(ctx, group)
	}
	if err != nil {
		a.unavailable(c, "count", err)
		return
	}
	a.served()
	c.JSON(http.StatusOK, counts)
}

// Paging of type=clients.
const (
	defaultListLimit = 1000
	maxListLimit     = 10000
)

// clientsAnswer is type=clients's answer: one page of client ids, and the
// cursor of the next ("" when this is the last).
type clientsAnswer struct {
	Clients []string `json:"clients"`
	Cursor  string   `json:"cursor"`
}

// clients: type=clients&uid=U[&limit=N][&cursor=C] lists the client ids of
// U's pages, in pages.
func (a *api) clients(ctx context.Context, c *gin.Context, p params) {
	uid, _, ok := p.scalar("uid")
	limit, after, err := readPaging(p)
	if !ok || uid == "" || err != nil {
		a.fail(c, http.StatusBadRequest, metrics.ResultFail)
		return
	}
	ids, more, err := a.pub.Clients(ctx, uid, after, limit)
	if err != nil {
		a.unavailable(c, "clients", err)
		return
	}
	a.served()
	ans := clientsAnswer{Clients: ids}
	if ans.Clients == nil {
		ans.Clients = []string{}
	}
	if more {
		ans.Cursor = base64.RawURLEncoding.EncodeToString([]byte(ids[len(ids)-1]))
	}
	c.JSON(http.StatusOK, ans)
}

// readPaging reads limit (1 to maxListLimit, defaultListLimit when absent)
// and cursor, an opaque token that is the base64url of the last id given.
func readPaging(p params) (limit int, after string, err error) {
	limit = defaultListLimit
	if s, present, ok := p.scalar("limit"); !ok {
		return 0, "", errors.New("limit must be one value")
	} else if present {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > maxListLimit {
			return 0, "", errors.New("limit must be 1 to 10000")
		}
	}
	cursor, _, ok := p.scalar("cursor")
	if !ok {
		return 0, "", errors.New("cursor must be one value")
	}
	last, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, "", errors.New("cursor is not one this API gave")
	}
	return limit, string(last), nil
}

// presenceAnswer is the JSON answer when the caller asks for one: the
// uids' state, and the clients' when the request named any.
type presenceAnswer struct {
	Result  string   `json:"result"`
	Online  []string `json:"online"`
	Offline []string `json:"offline"`
	// Groups is the state of group= targets, when there are any.
	Groups *split `json:"groups,omitempty"`
	// Clients is the state of client= targets, when there are any.
	Clients *split `json:"clients,omitempty"`
}

// split names the targets that have a page and those that have none.
type split struct {
	Online  []string `json:"online"`
	Offline []string `json:"offline"`
}

func splitOf(names []string, online []bool) split {
	s := split{Online: []string{}, Offline: []string{}}
	for i, n := range names {
		if i < len(online) && online[i] {
			s.Online = append(s.Online, n)
		} else {
			s.Offline = append(s.Offline, n)
		}
	}
	return s
}

// presenceOf is the answer to a request for t that reached r: positive
// when any target has a page (or for a broadcast, which has none), else
// offline.
func presenceOf(t push.Targets, r push.Reach, positive string) presenceAnswer {
	result := answerOffline
	if t.Broadcast() || r.Any() {
		result = positive
	}
	uids := splitOf(t.UIDs, r.UIDs)
	ans := presenceAnswer{Result: result, Online: uids.Online, Offline: uids.Offline}
	if len(t.Groups) > 0 {
		groups := splitOf(t.Groups, r.Groups)
		ans.Groups = &groups
	}
	if len(t.Clients) > 0 {
		clients := splitOf(t.Clients, r.Clients)
		ans.Clients = &clients
	}
	return ans
}

// answerPresence answers presenceOf as text or, with Accept:
// application/json, as JSON. It returns the answer given.
func (a *api) answerPresence(c *gin.Context, t push.Targets, r push.Reach, positive string) string {
	ans := presenceOf(t, r, positive)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, ans)
	} else {
		reply(c, http.StatusOK, ans.Result)
	}
	return ans.Result
}
