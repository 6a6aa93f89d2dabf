package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/adapter"
)

// Held messages live beside the presence, under the same hash tag (see
// presenceKeys): the login that records a page takes its uid's held
// messages in the same script, and a publish's online check holds the
// message for the offline uids in the same script as its PUBLISH. They
// are lost when Redis loses its data (a restart without persistence).

// errHeldID is an id that the list's element format cannot carry.
var errHeldID = errors.New("a held message's id must not contain '|'")

// heldArgs are the arguments every held-message script starts with.
func (p *Presence) heldArgs(extra ...any) []any {
	return p.args(append([]any{p.keys.held, p.keys.heldSize}, extra...)...)
}

// JoinTake implements adapter.Holder in one script. When Redis lost this
// instance's record, the page is recorded by the next heartbeat and the
// script only takes the held messages.
func (p *Presence) JoinTake(ctx context.Context, uid string) ([]adapter.Held, error) {
	p.syncMu.RLock()
	defer p.syncMu.RUnlock()
	p.changeLocal(uid, 1)
	record := !p.dirty.Load()
	res, err := scriptJoinTake.Run(ctx, p.c, p.keys.list(), p.heldArgs(uid, flag(record))...).Slice()
	if err != nil {
		if record {
			p.dirty.Store(true)
		}
		return nil, fmt.Errorf("redis presence: recording uid %q and taking its held messages: %w", uid, err)
	}
	if n, _ := res[0].(int64); record {
		p.recorded(n)
	}
	out := make([]adapter.Held, 0, len(res)-1)
	for _, v := range res[1:] {
		s, _ := v.(string)
		id, text, ok := strings.Cut(s, "|")
		if !ok {
			continue
		}
		out = append(out, adapter.Held{ID: id, Text: []byte(text)})
	}
	return out, nil
}

// HoldOffline implements adapter.Holder in one script.
func (p *Presence) HoldOffline(ctx context.Context, uids []string, h adapter.Held, ttl time.Duration) ([]bool, int, error) {
	return p.hold(ctx, p.c, uids, h, ttl, "", nil)
}

// hold runs scriptHold on c: the online check of uids, h held for the
// offline ones, and msg published on channel unless it is empty.
func (p *Presence) hold(ctx context.Context, c goredis.Scripter, uids []string, h adapter.Held, ttl time.Duration, channel string, msg []byte) ([]bool, int, error) {
	if strings.Contains(h.ID, "|") {
		return nil, 0, errHeldID
	}
	args := p.heldArgs(p.opts.Hold.MaxMessages, p.opts.Hold.MaxBytes, max(ttl.Milliseconds(), 0), h.ID, h.Text, channel, msg)
	for _, uid := range uids {
		args = append(args, uid)
	}
	res, err := scriptHold.Run(ctx, c, p.keys.list(), args...).Int64Slice()
	if err != nil {
		return nil, 0, fmt.Errorf("redis presence: holding a message for the offline of %d uids: %w", len(uids), err)
	}
	if len(res) != len(uids)+1 {
		return nil, 0, fmt.Errorf("redis presence: holding a message: %d answers for %d uids", len(res), len(uids))
	}
	online := make([]bool, len(uids))
	for i := range uids {
		online[i] = res[i] == 1
	}
	return online, int(res[len(uids)]), nil
}

// HoldLimits implements adapter.Holder.
func (p *Presence) HoldLimits() adapter.HoldLimits { return p.opts.Hold }

// HeldCount implements adapter.Holder.
func (p *Presence) HeldCount(ctx context.Context, uid string) (int, error) {
	return p.heldScript(ctx, scriptHeldCount, "counting", uid)
}

// Purge implements adapter.Holder.
func (p *Presence) Purge(ctx context.Context, uid string) (int, error) {
	return p.heldScript(ctx, scriptPurge, "purging", uid)
}

func (p *Presence) heldScript(ctx context.Context, s *goredis.Script, what, uid string) (int, error) {
	n, err := s.Run(ctx, p.c, p.keys.list(), p.heldArgs(uid)...).Int()
	if err != nil {
		return 0, fmt.Errorf("redis presence: %s the held messages of uid %q: %w", what, uid, err)
	}
	return n, nil
}
