package pushapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pushio/pushio/internal/metrics"
)

// errNoTargets is a to field that names no uid at all (to[]= or to=",").
var errNoTargets = errors.New("to names no uid")

// targets reads a uid list field: name[]=a&name[]=b, name[0]=a, a JSON
// array, or name=a,b. An absent or empty plain field is no list at all
// (broadcast); a field given but naming only empty uids is an error.
// Duplicates are dropped, order kept.
func targets(p params, name string) ([]string, error) {
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
			return raw[:1:1], nil // one uid: the usual case
		}
		raw = strings.Split(raw[0], ",")
	}
	seen := make(map[string]bool, len(raw))
	out := make([]string, 0, len(raw))
	for _, uid := range raw {
		if uid == "" || seen[uid] {
			continue
		}
		seen[uid] = true
		out = append(out, uid)
	}
	if len(out) == 0 {
		return nil, errNoTargets
	}
	return out, nil
}

// publish: type=publish&to=U&content=C. Content is escaped here, once.
func (a *api) publish(ctx context.Context, c *gin.Context, p params) {
	content, _, ok := p.scalar("content")
	to, err := targets(p, "to")
	if !ok || err != nil {
		a.fail(c, http.StatusOK, metrics.ResultFail) // content[]=x or to[]=: nothing sent
		return
	}
	online, err := a.pub.Publish(ctx, to, HTMLSpecialChars(content))
	if err != nil {
		a.unavailable(c, "publish", err)
		return
	}
	a.served()
	a.opts.Metrics.Published(a.answerPresence(c, to, online, answerOK))
}

// online: type=online&uid=U answers online or offline.
func (a *api) online(ctx context.Context, c *gin.Context, p params) {
	uids, err := targets(p, "uid")
	if err != nil || len(uids) == 0 {
		a.fail(c, http.StatusOK, metrics.ResultFail)
		return
	}
	online, err := a.pub.Online(ctx, uids)
	if err != nil {
		a.unavailable(c, "online", err)
		return
	}
	a.served()
	a.answerPresence(c, uids, online, answerOnline)
}

// count: type=count answers {"uids":N,"pages":M}.
func (a *api) count(ctx context.Context, c *gin.Context) {
	counts, err := a.pub.Counts(ctx)
	if err != nil {
		a.unavailable(c, "count", err)
		return
	}
	a.served()
	c.JSON(http.StatusOK, counts)
}

// presenceAnswer is the JSON answer when the caller asks for one.
type presenceAnswer struct {
	Result  string   `json:"result"`
	Online  []string `json:"online"`
	Offline []string `json:"offline"`
}

// answerPresence answers positive when any uid is online (or for a
// broadcast, which has none), else offline; with Accept: application/json
// it names the online and offline uids. It returns the answer given.
func (a *api) answerPresence(c *gin.Context, uids []string, online []bool, positive string) string {
	result := answerOffline
	if len(uids) == 0 || slices.Contains(online, true) {
		result = positive
	}
	if wantsJSON(c) {
		ans := presenceAnswer{Result: result, Online: []string{}, Offline: []string{}}
		for i, uid := range uids {
			if online[i] {
				ans.Online = append(ans.Online, uid)
			} else {
				ans.Offline = append(ans.Offline, uid)
			}
		}
		c.JSON(http.StatusOK, ans)
		return result
	}
	reply(c, http.StatusOK, result)
	return result
}
