package server

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/hub"
	"github.com/pushio/pushio/push"
)

// DefaultMaxGroupsPerUID is groups.max_per_uid's default.
const DefaultMaxGroupsPerUID = 256

// JoinGroups makes every page of each uid, open now on any instance and
// opened later, join each group: the memberships are recorded first, then
// the pages open now are told (the other instances' through the fan-out),
// so a page logging in meanwhile reads them or is told. A uid that would
// pass groups.max_per_uid changes nothing (*adapter.TooManyGroupsError).
func (s *Server) JoinGroups(ctx context.Context, uids, groups []string) error {
	if err := s.presence.JoinGroups(ctx, uids, groups, s.opts.Groups.MaxPerUID); err != nil {
		return fmt.Errorf("server: joining %d uids to %d groups: %w", len(uids), len(groups), err)
	}
	return s.tell(ctx, true, adapter.Selector{Rooms: uids}, groups)
}

// LeaveGroups ends the memberships of each uid in each group; its pages
// leave them, but for a page's own memberships.
func (s *Server) LeaveGroups(ctx context.Context, uids, groups []string) error {
	if err := s.presence.LeaveGroups(ctx, uids, groups); err != nil {
		return fmt.Errorf("server: leaving %d groups for %d uids: %w", len(groups), len(uids), err)
	}
	return s.tell(ctx, false, adapter.Selector{Rooms: uids}, groups)
}

// Ungroup ends every membership of each group: every page leaves it.
func (s *Server) Ungroup(ctx context.Context, groups []string) error {
	if err := s.presence.Ungroup(ctx, groups); err != nil {
		return fmt.Errorf("server: ungrouping %d groups: %w", len(groups), err)
	}
	return s.tell(ctx, false, adapter.Selector{}, groups)
}

// tell makes the pages sel picks join (or leave) groups' rooms on every
// instance: the others through the fan-out (waiting until each applied
// it; the room GroupPrefix alone, an empty group's, holds no page), then
// this one.
func (s *Server) tell(ctx context.Context, join bool, sel adapter.Selector, groups []string) error {
	rooms := hub.GroupRooms(groups)
	if s.fanout != nil {
		tell := s.fanout.DelSockets
		if join {
			tell = s.fanout.AddSockets
		}
		if err := tell(ctx, sel, rooms); err != nil {
			return fmt.Errorf("server: telling the other instances of %d groups: %w", len(groups), err)
		}
		// Every instance answers a fetch after the change before it: once
		// this returns, a push through any instance sees the change.
		if _, err := s.fanout.FetchSockets(ctx, adapter.Selector{Rooms: []string{hub.GroupPrefix}}); err != nil {
			return fmt.Errorf("server: waiting for the other instances to apply %d groups: %w", len(groups), err)
		}
	}
	if join {
		local{s}.Join("/", sel, rooms)
	} else {
		local{s}.Leave("/", sel, rooms)
	}
	return nil
}

// GroupOnline reports for each group whether a page is in it anywhere.
func (s *Server) GroupOnline(ctx context.Context, groups []string) ([]bool, error) {
	on, err := s.presence.GroupOnline(ctx, groups)
	if err != nil {
		return nil, fmt.Errorf("server: looking up %d groups: %w", len(groups), err)
	}
	return on, nil
}

// GroupCounts counts the logged-in uids and pages in group, cluster-wide.
func (s *Server) GroupCounts(ctx context.Context, group string) (adapter.Counts, error) {
	c, err := s.presence.GroupCounts(ctx, group)
	if err != nil {
		return c, fmt.Errorf("server: counting group %q: %w", group, err)
	}
	return c, nil
}

// UIDs lists online uids (of group, or of everyone when it is ""), up to
// limit from cursor; next is "" at the end.
func (s *Server) UIDs(ctx context.Context, group, cursor string, limit int) ([]string, string, error) {
	uids, next, err := s.presence.UIDs(ctx, group, cursor, limit)
	if err != nil {
		return nil, "", fmt.Errorf("server: listing uids: %w", err)
	}
	return uids, next, nil
}

// joinRooms puts page p, picked by sel, in rooms. Groups it is picked for
// by its own id are its own memberships: recorded in presence (a page not
// logged in joins none of them).
func (s *Server) joinRooms(p Page, sel adapter.Selector, rooms []string) {
	if !slices.Contains(sel.Rooms, p.ID()) {
		s.join(p, rooms...)
		return
	}
	u := s.userOf(p)
	if u == nil {
		return
	}
	var plain, groups []string
	for _, r := range rooms {
		if g, ok := groupOf(r); ok {
			groups = append(groups, g)
		} else {
			plain = append(plain, r)
		}
	}
	s.join(p, plain...)
	if added := u.addOwn(groups, s.opts.Groups.MaxPerUID); len(added) > 0 {
		s.join(p, hub.GroupRooms(added)...)
		go s.recordOwn(u, added)
	}
}

// leaveRooms takes page p, picked by sel, out of rooms. Picked by its own
// id, it leaves its own memberships too; picked by uid, it stays in the
// groups it is in by its own membership; picked as every page (an
// ungroup), it leaves them all.
func (s *Server) leaveRooms(p Page, sel adapter.Selector, rooms []string) {
	u := s.userOf(p)
	if u == nil {
		s.leave(p, rooms...)
		return
	}
	byID := slices.Contains(sel.Rooms, p.ID())
	var groups []string
	out := rooms[:0:0]
	for _, r := range rooms {
		g, ok := groupOf(r)
		switch {
		case !ok:
			out = append(out, r)
		case byID || len(sel.Rooms) == 0 || !u.hasOwn(g):
			out = append(out, r)
			groups = append(groups, g)
		}
	}
	s.leave(p, out...)
	if byID || len(sel.Rooms) == 0 {
		if removed := u.removeOwn(groups); len(removed) > 0 {
			go s.recordOwn(u, removed)
		}
	}
}

// recordOwn brings the presence's record of the page's own memberships of
// groups to what they are now, unless the page logged out meanwhile (its
// logout took its record away). It holds the page's lock, so joins and
// leaves recorded in any order leave the record as the memberships are.
func (s *Server) recordOwn(u *user, groups []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.state != loggedIn {
		return
	}
	var joined, left []string
	for _, g := range groups {
		switch want, have := slices.Contains(u.own, g), slices.Contains(u.recorded, g); {
		case want && !have:
			joined = append(joined, g)
		case !want && have:
			left = append(left, g)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CallTimeout)
	defer cancel()
	for _, change := range []struct {
		groups []string
		delta  int64
	}{{joined, 1}, {left, -1}} {
		if len(change.groups) == 0 {
			continue
		}
		// Recorded even when Redis fails: its local map has it, and the
		// next heartbeat carries it.
		s.report(&s.outages.groups, "recording a page's groups", s.presence.PageGroups(ctx, u.uid, change.groups, change.delta),
			"uid", u.uid, "groups", len(change.groups))
	}
	u.recorded = append(slices.DeleteFunc(u.recorded, func(g string) bool { return slices.Contains(left, g) }), joined...)
}

// groupOf is the group whose room r is.
func groupOf(r string) (string, bool) {
	if len(r) > len(hub.GroupPrefix) && r[:len(hub.GroupPrefix)] == hub.GroupPrefix {
		return r[len(hub.GroupPrefix):], true
	}
	return "", false
}

// addOwn adds groups to the page's own memberships, up to max of them,
// once it is logged in; it returns those it added.
func (c *user) addOwn(groups []string, max int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != loggedIn {
		return nil
	}
	var added []string
	for _, g := range groups {
		if len(c.own) < max && !slices.Contains(c.own, g) {
			c.own = append(c.own, g)
			added = append(added, g)
		}
	}
	return added
}

// hasOwn reports whether the page is in g by its own membership.
func (c *user) hasOwn(g string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.own, g)
}

// removeOwn ends the page's own memberships of groups; it returns those
// it had.
func (c *user) removeOwn(groups []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var removed []string
	c.own = slices.DeleteFunc(c.own, func(g string) bool {
		if slices.Contains(groups, g) {
			removed = append(removed, g)
			return true
		}
		return false
	})
	return removed
}

// JoinClients makes the pages whose client ids are clients join groups by
// their own membership, for their life, on whichever instance holds them
// (a page not logged in joins none), and reports which clients have a
// page anywhere.
func (s *Server) JoinClients(ctx context.Context, clients, groups []string) ([]bool, error) {
	return s.tellClients(ctx, true, clients, groups)
}

// LeaveClients ends the own memberships of groups of the pages whose
// client ids are clients; they leave those groups' rooms.
func (s *Server) LeaveClients(ctx context.Context, clients, groups []string) ([]bool, error) {
	return s.tellClients(ctx, false, clients, groups)
}

func (s *Server) tellClients(ctx context.Context, join bool, clients, groups []string) ([]bool, error) {
	reach, err := s.Reach(ctx, push.Targets{Clients: clients})
	if err != nil {
		return nil, err
	}
	if err := s.tell(ctx, join, adapter.Selector{Rooms: clients}, groups); err != nil {
		return nil, err
	}
	return reach.Clients, nil
}

// joining is the logins between their read of the uid's groups and their
// joining of those groups' rooms. A leave by uid (or an ungroup) that
// reaches this instance meanwhile was recorded after the read, and its
// pages are not in the rooms yet: it is kept for those logins, which drop
// the groups it left. Its methods are safe for concurrent use.
type joining struct {
	mu     sync.Mutex
	logins map[*login]struct{}
}

// login is one login in the joining window.
type login struct {
	uid  string
	left []string // groups left meanwhile
}

// start enters a login of uid in the window.
func (j *joining) start(uid string) *login {
	l := &login{uid: uid}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.logins == nil {
		j.logins = make(map[*login]struct{})
	}
	j.logins[l] = struct{}{}
	return l
}

// finish joins l's groups, less those left meanwhile, with join, and ends
// its window; no leave comes between.
func (j *joining) finish(l *login, groups []string, join func([]string)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.logins, l)
	join(slices.DeleteFunc(groups, func(g string) bool { return slices.Contains(l.left, g) }))
}

// leave keeps the groups of rooms for the logins sel picks by uid (every
// login when sel picks every page), then runs apply; no login finishes
// between.
func (j *joining) leave(sel adapter.Selector, rooms []string, apply func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for l := range j.logins {
		if len(sel.Rooms) > 0 && !slices.Contains(sel.Rooms, l.uid) {
			continue
		}
		for _, r := range rooms {
			if g, ok := groupOf(r); ok {
				l.left = append(l.left, g)
			}
		}
	}
	apply()
}
