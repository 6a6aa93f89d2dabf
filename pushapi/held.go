package pushapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/settings"
)

// paramTTL is a publish's ttl: the seconds its message is held for the
// target uids that have no page (held messages).
const paramTTL = "ttl"

// maxTTLValue is the largest ttl= accepted (then capped at Hold.MaxTTL):
// beyond, a value is taken for a mistake and refused.
const maxTTLValue = 1<<31 - 1

// DefaultHoldMaxTTL caps every ttl when Hold.MaxTTL is 0 (hold.max_ttl).
const DefaultHoldMaxTTL = 300 * time.Second

// Holder is a Publisher that holds messages (package server): type=held
// and type=purge need one.
type Holder interface {
	// HeldCount is how many messages are held for uid.
	HeldCount(ctx context.Context, uid string) (int, error)
	// Purge drops them and says how many there were.
	Purge(ctx context.Context, uid string) (int, error)
}

// readTTL reads ttl=SECONDS: a decimal integer from 0 to maxTTLValue,
// capped at h.MaxTTL; h.TTL when absent. A kick takes no ttl.
func readTTL(p params, kick bool, h settings.Hold) (time.Duration, error) {
	s, present, ok := p.scalar(paramTTL)
	switch {
	case !ok:
		return 0, invalid("ttl must be one value")
	case present && kick:
		return 0, invalid("a kick takes no ttl")
	case kick:
		return 0, nil
	case !present:
		return min(h.TTL, maxTTL(h)), nil
	}
	if s == "" || len(s) > 10 {
		return 0, invalid("ttl must be 0 to %d seconds", maxTTLValue)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, invalid("ttl must be 0 to %d seconds", maxTTLValue)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxTTLValue {
		return 0, invalid("ttl must be 0 to %d seconds", maxTTLValue)
	}
	return min(time.Duration(n)*time.Second, maxTTL(h)), nil
}

// maxTTL is h's cap of every ttl.
func maxTTL(h settings.Hold) time.Duration {
	if h.MaxTTL > 0 {
		return h.MaxTTL
	}
	return DefaultHoldMaxTTL
}

// heldAnswer is type=held's JSON answer.
type heldAnswer struct {
	UID  string `json:"uid"`
	Held int    `json:"held"`
}

// purgeAnswer is type=purge's JSON answer.
type purgeAnswer struct {
	Result string `json:"result"`
	UID    string `json:"uid"`
	Purged int    `json:"purged"`
}

// held: type=held&uid=U answers how many messages are held for U: the
// number as text, or {"uid":U,"held":N} with Accept: application/json.
// type=purge&uid=U drops them: ok, or {"result":"ok","uid":U,"purged":N}.
func (a *api) held(ctx context.Context, c *gin.Context, p params, kind string) {
	uid, _, ok := p.scalar("uid")
	h, isHolder := a.pub.(Holder)
	if !ok || uid == "" || !isHolder {
		a.fail(c, http.StatusBadRequest, metrics.ResultFail)
		return
	}
	call := h.HeldCount
	if kind == "purge" {
		call = h.Purge
	}
	n, err := call(ctx, uid)
	if err != nil {
		a.unavailable(c, kind, err)
		return
	}
	a.served()
	switch {
	case kind == "purge" && wantsJSON(c):
		c.JSON(http.StatusOK, purgeAnswer{Result: answerOK, UID: uid, Purged: n})
	case kind == "purge":
		reply(c, http.StatusOK, answerOK)
	case wantsJSON(c):
		c.JSON(http.StatusOK, heldAnswer{UID: uid, Held: n})
	default:
		reply(c, http.StatusOK, strconv.Itoa(n))
	}
}
