package pushapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/hub"
	"github.com/pushio/pushio/internal/metrics"
)

// paramGroup names groups: a list, as to is.
const paramGroup = "group"

// groupList reads group=, each name checked (hub.CheckName); need makes
// an absent one an error. Refusals are 400.
func groupList(p params, need bool) ([]string, error) {
	groups, err := list(p, paramGroup)
	if err != nil {
		return nil, invalid("group: %v", err)
	}
	if need && len(groups) == 0 {
		return nil, invalid("group is missing")
	}
	for _, g := range groups {
		if err := hub.CheckName(g); err != nil {
			return nil, invalid("group %.64q: %v", g, err)
		}
	}
	return groups, nil
}

// oneGroup reads a group= that names at most one group.
func oneGroup(p params, need bool) (string, error) {
	groups, err := groupList(p, need)
	switch {
	case err != nil:
		return "", err
	case len(groups) > 1:
		return "", invalid("group must name one group")
	case len(groups) == 1:
		return groups[0], nil
	}
	return "", nil
}

// membershipAnswer is the JSON answer of join and leave: the state of the
// clients named, when any were.
type membershipAnswer struct {
	Result  string `json:"result"`
	Clients *split `json:"clients,omitempty"`
}

// membership: type=join|leave&group=G…&uid=U… (every page of each uid,
// now and later) and/or &client=C… (those pages, for their life). The
// answer is ok, or offline when only clients were named and none has a
// page; past groups.max_per_uid it is 409 fail and nothing changed.
func (a *api) membership(ctx context.Context, c *gin.Context, p params, join bool) {
	groups, err := groupList(p, true)
	if err != nil {
		a.refuseItem(c, err)
		return
	}
	uids, err := list(p, "uid")
	if err != nil {
		a.refuseItem(c, invalid("uid: %v", err))
		return
	}
	clients, err := list(p, "client")
	if err != nil {
		a.refuseItem(c, invalid("client: %v", err))
		return
	}
	if len(uids) == 0 && len(clients) == 0 {
		a.refuseItem(c, invalid("a join or leave names uid or client"))
		return
	}
	if len(uids) > 0 {
		do := a.pub.LeaveGroups
		if join {
			do = a.pub.JoinGroups
		}
		if err := do(ctx, uids, groups); err != nil {
			a.groupFailure(c, err)
			return
		}
	}
	ans := membershipAnswer{Result: answerOK}
	if len(clients) > 0 {
		do := a.pub.LeaveClients
		if join {
			do = a.pub.JoinClients
		}
		online, err := do(ctx, clients, groups)
		if err != nil {
			a.unavailable(c, "membership", err)
			return
		}
		s := splitOf(clients, online)
		ans.Clients = &s
		if len(uids) == 0 && len(s.Online) == 0 {
			ans.Result = answerOffline
		}
	}
	a.served()
	a.answer(c, ans.Result, ans)
}

// groupFailure answers a JoinGroups or LeaveGroups that failed: 409 when
// a uid would pass groups.max_per_uid, else the Publisher is unavailable.
func (a *api) groupFailure(c *gin.Context, err error) {
	var tooMany *adapter.TooManyGroupsError
	if errors.As(err, &tooMany) {
		a.log.Debug("api: refused join", "reason", tooMany.Error())
		a.fail(c, http.StatusConflict, metrics.ResultFail)
		return
	}
	a.unavailable(c, "membership", err)
}

// ungroup: type=ungroup&group=G… ends every membership of each group; ok.
func (a *api) ungroup(ctx context.Context, c *gin.Context, p params) {
	groups, err := groupList(p, true)
	if err != nil {
		a.refuseItem(c, err)
		return
	}
	if err := a.pub.Ungroup(ctx, groups); err != nil {
		a.unavailable(c, "ungroup", err)
		return
	}
	a.served()
	a.answer(c, answerOK, membershipAnswer{Result: answerOK})
}

// uidsAnswer is type=uids's answer: one page of online uids, and the
// cursor of the next ("" when this is the last).
type uidsAnswer struct {
	UIDs   []string `json:"uids"`
	Cursor string   `json:"cursor"`
}

// uids: type=uids[&group=G][&limit=N][&cursor=C] lists online uids, of
// everyone or of a group, in pages.
func (a *api) uids(ctx context.Context, c *gin.Context, p params) {
	group, err := oneGroup(p, false)
	if err != nil {
		a.refuseItem(c, err)
		return
	}
	limit, _, err := readPaging(p)
	cursor, _, _ := p.scalar("cursor")
	if err != nil {
		a.refuseItem(c, invalid("%v", err))
		return
	}
	uids, next, err := a.pub.UIDs(ctx, group, cursor, limit)
	if errors.Is(err, adapter.ErrBadCursor) {
		a.refuseItem(c, invalid("cursor is not one this API gave"))
		return
	}
	if err != nil {
		a.unavailable(c, "uids", err)
		return
	}
	a.served()
	if uids == nil {
		uids = []string{}
	}
	c.JSON(http.StatusOK, uidsAnswer{UIDs: uids, Cursor: next})
}

// answer answers result as text or, with Accept: application/json, ans.
func (a *api) answer(c *gin.Context, result string, ans any) {
	if wantsJSON(c) {
		c.JSON(http.StatusOK, ans)
		return
	}
	reply(c, http.StatusOK, result)
}
