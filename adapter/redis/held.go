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

// JoinTake implements adapter.Holder in one script: Join, and the take.
// When Redis lost this instance's record, the page is recorded by the
// next heartbeat and the script only reads the groups and takes the held
// messages.
func (p *Presence) JoinTake(ctx context.Context, uid, client string, pageGroups []string) ([]string, []adapter.Held, error) {
	p.syncMu.RLock()
	defer p.syncMu.RUnlock()
	record := p.changeLocal(uid, client, 1, pageGroups, 1) && !p.dirty.Load()
	args := p.args(append([]any{uid, client, flag(record), 1}, anys(pageGroups)...)...)
	res, err := scriptJoinTake.Run(ctx, p.c, p.keys.list(), args...).Slice()
	if err == nil && len(res) != 3 {
		err = fmt.Errorf("%d answers, want 3", len(res))
	}
	if err != nil {
		if record {
			p.dirty.Store(true)
		}
		return nil, nil, fmt.Errorf("redis presence: recording uid %q and taking its held messages: %w", uid, err)
	}
	if status, _ := res[0].(int64); status < 0 {
		p.dirty.Store(true) // Redis lost this instance's record
	}
	elems, _ := res[2].([]any)
	held := make([]adapter.Held, 0, len(elems))
	for _, v := range elems {
		s, _ := v.(string)
		id, text, ok := strings.Cut(s, "|")
		if !ok {
			continue
		}
		held = append(held, adapter.Held{ID: id, Text: []byte(text)})
	}
	return strs(res[1]), held, nil
}

// HoldOffline implements adapter.Holder in one script.
func (p *Presence) HoldOffline(ctx context.Context, uids, groups []string, h adapter.Held, ttl time.Duration) (adapter.HoldResult, error) {
	args, err := p.holdArgs(uids, groups, h, ttl)
	if err != nil {
		return adapter.HoldResult{}, err
	}
	return holdAnswer(scriptHold.Run(ctx, p.c, p.keys.list(), args...), len(uids))
}

// holdArgs are scriptHold's arguments: h held for ttl for the offline of
// uids and of the members of groups.
func (p *Presence) holdArgs(uids, groups []string, h adapter.Held, ttl time.Duration) ([]any, error) {
	if strings.Contains(h.ID, "|") {
		return nil, errHeldID
	}
	args := p.args(p.opts.Hold.MaxMessages, p.opts.Hold.MaxBytes, max(ttl.Milliseconds(), 0), h.ID, h.Text, len(uids))
	args = append(args, anys(uids)...)
	return append(args, anys(groups)...), nil
}

// holdCmd queues scriptHold with args in pipe, by its SHA1: see
// retryHold for a Redis that does not have it.
func (p *Presence) holdCmd(ctx context.Context, pipe goredis.Pipeliner, args []any) *goredis.Cmd {
	return scriptHold.EvalSha(ctx, pipe, p.keys.list(), args...)
}

// retryHold runs scriptHold with args again on c, sending the script
// itself, when cmd, its EVALSHA in a pipeline, found Redis without it (a
// restart or SCRIPT FLUSH); it returns cmd otherwise.
func (p *Presence) retryHold(ctx context.Context, c goredis.Scripter, cmd *goredis.Cmd, args []any) *goredis.Cmd {
	if !isNoScript(cmd.Err()) {
		return cmd
	}
	return scriptHold.Run(ctx, c, p.keys.list(), args...)
}

// holdAnswer reads scriptHold's answer for n uids asked.
func holdAnswer(cmd *goredis.Cmd, n int) (adapter.HoldResult, error) {
	res, err := cmd.Slice()
	if err == nil && len(res) != n+2 {
		err = fmt.Errorf("%d answers for %d uids", len(res), n)
	}
	if err != nil {
		return adapter.HoldResult{}, fmt.Errorf("redis presence: holding a message for the offline of %d uids: %w", n, err)
	}
	out := adapter.HoldResult{Online: make([]bool, n), Held: strs(res[n+1])}
	for i := range out.Online {
		v, _ := res[i].(int64)
		out.Online[i] = v == 1
	}
	d, _ := res[n].(int64)
	out.Dropped = int(d)
	return out, nil
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
	n, err := s.Run(ctx, p.c, p.keys.list(), p.args(uid)...).Int()
	if err != nil {
		return 0, fmt.Errorf("redis presence: %s the held messages of uid %q: %w", what, uid, err)
	}
	return n, nil
}
