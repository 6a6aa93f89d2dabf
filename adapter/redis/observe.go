package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Observer is told about every Redis call a client makes: its operation,
// how long it took, and its error (nil when it succeeded).
type Observer func(op string, d time.Duration, err error)

// Observe reports every command and pipeline of c to obs: presence and
// fan-out alike, since both go through c. A nil obs observes nothing.
//
// op is the command's name in lower case ("hmget", "publish"), the
// presence script's name for a script ("presence_change", …), or
// "pipeline". redis.Nil (a missing key) and a cancelled context are not
// errors. Not observed: the connection handshake, and the EVALSHA that
// answers NOSCRIPT, since go-redis then sends the script itself.
func Observe(c goredis.UniversalClient, obs Observer) {
	if obs != nil {
		c.AddHook(observeHook{obs})
	}
}

// scriptOps names the presence and recovery scripts by their SHA1, as EVALSHA sends it.
var scriptOps = map[string]string{
	scriptChange.Hash():    "presence_change",
	scriptHeartbeat.Hash(): "presence_heartbeat",
	scriptSync.Hash():      "presence_sync",
	scriptRemove.Hash():    "presence_remove",
	scriptJoinTake.Hash():  "held_take",
	scriptHold.Hash():      "held_publish",
	scriptHeldCount.Hash(): "held_count",
	scriptPurge.Hash():     "held_purge",
	scriptPark.Hash():      "recovery_park",
	scriptAppend.Hash():    "recovery_append",
	scriptTake.Hash():      "recovery_take",
}

var _ goredis.Hook = observeHook{}

// observeHook times each command and pipeline of a client for an Observer.
type observeHook struct{ obs Observer }

func (observeHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h observeHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if handshake[cmd.Name()] {
			return next(ctx, cmd)
		}
		start := time.Now()
		err := next(ctx, cmd)
		// The client sets cmd's error from err after the hooks.
		if !isNoScript(err) { // Script.Run sends the source next
			h.obs(opName(cmd), time.Since(start), failure(err))
		}
		return err
	}
}

func (h observeHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if !slices.ContainsFunc(cmds, func(c goredis.Cmder) bool { return !handshake[c.Name()] }) {
			return next(ctx, cmds)
		}
		start := time.Now()
		err := next(ctx, cmds)
		// The pipeline's error is its first command's; one command's
		// redis.Nil must not hide another's failure.
		var failed error
		for _, cmd := range cmds {
			if failed = failure(cmd.Err()); failed != nil {
				break
			}
		}
		h.obs("pipeline", time.Since(start), failed)
		return err
	}
}

// handshake are the commands go-redis sends on each new connection (the
// hooks see them too); a failure there fails the call that needed the
// connection, which is observed.
var handshake = map[string]bool{"hello": true, "auth": true, "client": true, "select": true, "readonly": true}

// failure is err unless it is one of the answers that are not failures.
func failure(err error) error {
	if err == nil || errors.Is(err, goredis.Nil) || errors.Is(err, context.Canceled) || isNoScript(err) {
		return nil
	}
	return err
}

func isNoScript(err error) bool {
	return errors.Is(err, goredis.ErrNoScript) || goredis.HasErrorPrefix(err, "NOSCRIPT")
}

// opName is a bounded label for cmd: its name, or its script's.
func opName(cmd goredis.Cmder) string {
	name := cmd.Name()
	args := cmd.Args()
	if len(args) < 2 {
		return name
	}
	var sha string
	switch name {
	case "evalsha":
		sha, _ = args[1].(string)
	case "eval":
		src, _ := args[1].(string)
		sum := sha1.Sum([]byte(src))
		sha = hex.EncodeToString(sum[:])
	default:
		return name
	}
	if op, ok := scriptOps[strings.ToLower(sha)]; ok {
		return op
	}
	return "script"
}
