package redis

import (
	"context"
	"fmt"
	"slices"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/push"
)

// Send implements adapter.Fanout: the presence lookups, the publishes and
// the disconnect requests of every push go in one pipeline to one server
// (see ordered), so every other server gets them in order: a kicked page
// gets its message before its disconnection. Without
// FanoutOptions.Presence it looks nothing up and says no target is
// online; pushio always sets it.
//
// One pipeline is on its way at a time: the Sends that come meanwhile
// wait and then go together in the next one (a group commit), so that
// under load a round trip, its two system calls and Redis's own work on
// them serve many pushes, while a Send alone goes at once. The order of
// the pipelines is the order of the pushes on every server. A Send whose
// own commands fail (a hold refused) fails alone. A waiting Send whose
// context ends before its turn leaves, having sent nothing, and each
// pipeline ends by the earliest deadline of its Sends.
func (f *Fanout) Send(ctx context.Context, out []adapter.Outgoing) ([]push.Reach, error) {
	s := &sending{ctx: ctx, out: out, wake: make(chan struct{}, 1)}
	if err := f.prepare(s); err != nil {
		return nil, err
	}
	f.sendMu.Lock()
	if f.sendBusy {
		f.sendQueue = append(f.sendQueue, s)
		f.sendMu.Unlock()
		if err := f.awaitTurn(s); err != nil {
			return nil, err
		}
		if s.next != nil { // this Send leads the next pipeline
			f.lead(s.next)
		}
		return s.reach, s.err
	}
	f.sendBusy = true
	f.sendMu.Unlock()
	f.lead([]*sending{s})
	return s.reach, s.err
}

// awaitTurn waits until s is answered or leads, or until its context ends
// while it is still queued: it then leaves the queue, and nothing of it
// was sent.
func (f *Fanout) awaitTurn(s *sending) error {
	select {
	case <-s.wake:
		return nil
	case <-s.ctx.Done():
	}
	f.sendMu.Lock()
	i := slices.Index(f.sendQueue, s)
	if i >= 0 {
		f.sendQueue = slices.Delete(f.sendQueue, i, i+1)
	}
	f.sendMu.Unlock()
	if i >= 0 {
		return fmt.Errorf("redis fan-out: waiting for the pipeline ahead: %w", context.Cause(s.ctx))
	}
	<-s.wake // taken into a pipeline already: its answers, or its lead, come
	return nil
}

// sending is one Send on its way: its pushes encoded, then its answers.
type sending struct {
	ctx   context.Context
	out   []adapter.Outgoing
	enc   []encodedPush
	holds []pendingHold
	// from and to delimit its commands in the pipeline.
	from, to int
	lookups  []reachLookup

	reach []push.Reach
	err   error
	// wake says the answers are in, or, with next set, that this Send
	// leads the pipeline of next (itself among them).
	wake chan struct{}
	next []*sending
}

// pendingHold is a push's hold in Send's pipeline: its script's
// arguments and command.
type pendingHold struct {
	args []any
	cmd  *goredis.Cmd
}

// prepare encodes s's pushes and their holds' arguments.
func (f *Fanout) prepare(s *sending) error {
	s.enc = make([]encodedPush, len(s.out))
	s.holds = make([]pendingHold, len(s.out))
	pr := f.opts.Presence
	for i, o := range s.out {
		var err error
		if s.enc[i], err = f.encodePush(o); err != nil {
			return err
		}
		if pr != nil && o.Hold != nil && len(o.Targets.UIDs)+len(o.Targets.Groups) > 0 {
			if s.holds[i].args, err = pr.holdArgs(o.Targets.UIDs, o.Targets.Groups, o.Hold.Held, o.Hold.TTL); err != nil {
				return err
			}
		}
	}
	return nil
}

// lead sends batch in one pipeline, wakes its Sends with their answers,
// and hands the Sends that queued meanwhile to the first of them, which
// leads the next pipeline; with none queued, the next Send goes at once.
func (f *Fanout) lead(batch []*sending) {
	f.pipeline(batch)
	f.sendMu.Lock()
	queued := f.sendQueue
	f.sendQueue = nil
	f.sendBusy = len(queued) > 0
	f.sendMu.Unlock()
	for _, s := range batch {
		s.wake <- struct{}{} // never blocks: each Send takes one wake at most before this
	}
	if len(queued) > 0 {
		queued[0].next = queued
		queued[0].wake <- struct{}{}
	}
}

// pipeline sends every push of batch and reads their reach, setting each
// Send's answers. It ends by the earliest deadline of batch's contexts and
// within opts.Timeout; a Send's cancelation alone does not stop the others'.
func (f *Fanout) pipeline(batch []*sending) {
	end := time.Now().Add(f.opts.Timeout)
	for _, s := range batch {
		if d, ok := s.ctx.Deadline(); ok && d.Before(end) {
			end = d
		}
	}
	ctx, cancel := context.WithDeadline(context.WithoutCancel(batch[0].ctx), end)
	defer cancel()
	c, err := f.ordered(ctx)
	if err != nil {
		for _, s := range batch {
			s.err = err
		}
		return
	}
	cmds, err := c.Pipelined(ctx, func(pipe goredis.Pipeliner) error {
		for _, s := range batch {
			s.from = pipe.Len()
			f.commands(ctx, pipe, s)
			s.to = pipe.Len()
		}
		return nil
	})
	for _, s := range batch {
		if err != nil {
			bad := err
			if s.to <= len(cmds) {
				bad = failed(cmds[s.from:s.to], s.holds)
			}
			if bad != nil {
				s.err = fmt.Errorf("redis fan-out: sending %d pushes with their presence: %w", len(s.out), bad)
				continue
			}
		}
		s.reach, s.err = f.answers(ctx, c, s)
	}
}

// commands queues in pipe, for each push of s, its presence lookups (or
// its hold, which reads the uids' presence itself), then its publishes.
func (f *Fanout) commands(ctx context.Context, pipe goredis.Pipeliner, s *sending) {
	pr := f.opts.Presence
	s.lookups = make([]reachLookup, len(s.out))
	for i, o := range s.out {
		s.lookups[i] = reachLookup{nUIDs: len(o.Targets.UIDs), nCli: len(o.Targets.Clients)}
		switch {
		case s.holds[i].args != nil:
			t := o.Targets
			t.UIDs = nil
			s.lookups[i] = pr.reachCmds(ctx, pipe, t)
			s.lookups[i].nUIDs = len(o.Targets.UIDs)
			s.holds[i].cmd = pr.holdCmd(ctx, pipe, s.holds[i].args)
		case pr != nil && !o.Targets.Broadcast():
			s.lookups[i] = pr.reachCmds(ctx, pipe, o.Targets)
		}
		for _, m := range s.enc[i] {
			pipe.Publish(ctx, m.channel, m.msg)
		}
	}
}

// answers reads s's reach from its lookups, running again on their own
// the holds that found Redis without their script.
func (f *Fanout) answers(ctx context.Context, c goredis.Cmdable, s *sending) ([]push.Reach, error) {
	reach := make([]push.Reach, len(s.out))
	for i, l := range s.lookups {
		reach[i] = l.reach()
		if s.holds[i].cmd == nil {
			continue
		}
		cmd := f.opts.Presence.retryHold(ctx, c, s.holds[i].cmd, s.holds[i].args)
		var err error
		if s.out[i].Hold.Result, err = holdAnswer(cmd, len(s.out[i].Targets.UIDs)); err != nil {
			return nil, fmt.Errorf("redis fan-out: sending %d pushes: %w", len(s.out), err)
		}
		reach[i].UIDs = s.out[i].Hold.Result.Online
	}
	return reach, nil
}

// failed is the first error of cmds, a Send's commands in a pipeline,
// other than a hold's that found Redis without its script (after a
// restart or SCRIPT FLUSH): those are run again on their own (retryHold),
// after the pipeline's publishes rather than before them.
func failed(cmds []goredis.Cmder, holds []pendingHold) error {
	isHold := make(map[goredis.Cmder]bool, len(holds))
	for _, h := range holds {
		if h.cmd != nil {
			isHold[h.cmd] = true
		}
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil && !(isHold[c] && isNoScript(err)) {
			return err
		}
	}
	return nil
}
