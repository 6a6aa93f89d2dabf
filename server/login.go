package server

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/hub"
	"github.com/pushio/pushio/internal/phpcast"
)

// maxUIDBytes is the longest uid a login may carry. A uid is kept for the
// socket's life, in this instance's memory and in Redis: without a bound,
// every connection could pin a uid as long as io.max_payload (1 MiB by
// default), a hundred times what the connection itself costs.
const maxUIDBytes = hub.MaxNameBytes

// user is what pushio keeps of one page, whatever its wire: its uid once
// logged in.
type user struct {
	page Page
	gone atomic.Bool // the page's connection ended
	rec  *recState   // a recovering Socket.IO page's; nil for others

	refusals *refusals      // the server's
	unsent   []adapter.Hold // pushes with a ttl the page refused: held at its logout

	mu    sync.Mutex
	uid   string
	state loginState
	// own is the groups the page is in by its own membership (its login
	// token's, joins by its client id); recorded is those the presence
	// has (recordOwn brings it to own).
	own, recorded []string
}

type loginState int

const (
	notLoggedIn loginState = iota
	loggedIn
	loggedOut
)

// login joins the page to its uid's room and counts it, once per page.
// args are the login's arguments, the uid first; token is the login's
// token ("" for none). A uid that is not a string or a number is
// ignored: the original turned true into "1", null into "" and an object
// into "Array", or crashed. A page's logins come one at a time (its
// wire's handler calls do not overlap), so a login waits for its
// presence record without holding up any other page.
func (s *Server) login(c *user, args []any, token string) {
	id := c.page.ID()
	if len(args) == 0 {
		s.log.Debug("login ignored: no uid", "sid", id)
		return
	}
	uid, ok := UID(args[0])
	if !ok {
		s.log.Debug("login ignored: uid is neither a string nor a number", "sid", id)
		return
	}
	if err := hub.CheckName(uid); err != nil && uid != "" {
		// The empty uid logs in, as in the original.
		s.log.Debug("login ignored: uid "+err.Error(), "sid", id, "bytes", len(uid))
		return
	}
	// One uid per page: a second login is ignored, as in the original.
	if c.loggedIn() {
		return
	}
	own, refused := s.auth.check(uid, token, s.opts.Groups.MaxPerUID)
	if err := refused; err != nil {
		s.log.Debug("login refused", "sid", id, "uid", uid, "reason", err.text)
		s.opts.Metrics.LoginRefused(err.label)
		if c.rec != nil {
			s.sendTo(c.page, EventLoginError, err.text)
		} else {
			c.page.LoginError(err.text)
		}
		return
	}
	s.logIn(c, uid, own, true)
}

// logIn logs c in as uid, in groups own by its own membership: a login
// that passed (fresh), or a recovered page's login given back. It joins
// the uid's room and the groups', records the presence, takes the uid's
// held messages and gives the page the counts; a fresh login gets the
// held messages first. A recovered page got what it missed by recovery:
// the messages held for its uid meanwhile are dropped. A logout undoes it.
func (s *Server) logIn(c *user, uid string, own []string, fresh bool) {
	if !c.take(uid, own) {
		return
	}
	s.present.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CallTimeout)
	defer cancel()
	held := s.enter(ctx, c.page, uid, own)
	if c.gone.Load() {
		// The page went away while Join ran; its disconnect may have
		// missed the record, so settle it here (logout is idempotent).
		s.logout(c)
		return
	}
	if fresh {
		s.deliverHeld(c.page, held)
	}
	counts := s.lastCounts.Load()
	s.sendTo(c.page, EventOnlineCount, CountsHTML(*counts))
}

// logout undoes login; it counts a page once however often it is called.
func (s *Server) logout(c *user) {
	if c == nil {
		return
	}
	uid, own, ok := c.release()
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CallTimeout)
	defer cancel()
	s.report(&s.outages.logout, "logout: removing presence", s.presence.Leave(ctx, uid, c.page.ID(), own), "uid", uid)
	s.holdUnsent(c, uid)
	s.present.Add(-1)
}

// loggedIn reports whether the page has logged in (or out) already.
func (c *user) loggedIn() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state != notLoggedIn
}

// current is the page's uid, whether it is logged in with it, and its
// own groups.
func (c *user) current() (string, bool, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.uid, c.state == loggedIn, slices.Clone(c.own)
}

// take records uid as the page's, in groups own by its own membership,
// once.
func (c *user) take(uid string, own []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != notLoggedIn {
		return false
	}
	c.uid, c.state, c.own, c.recorded = uid, loggedIn, own, slices.Clone(own)
	return true
}

// release gives the uid and the page's own groups the presence has back,
// once; a page logged out stays so.
func (c *user) release() (string, []string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != loggedIn {
		return "", nil, false
	}
	c.state = loggedOut
	recorded := c.recorded
	c.own, c.recorded = nil, nil
	return c.uid, recorded, true
}

// UID turns a login argument into a uid the way PHP's (string) cast does
// for strings and numbers: 123 → "123", 1.5 → "1.5", 100.0 → "100".
// Anything else (bool, null, object, array) is refused.
func UID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return phpcast.Float(x)
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	}
	return "", false
}
