package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/recovery"
)

// Recovery is the Store of a cluster: a page parked by one instance is
// taken by whichever it reconnects to. Each parked session is two keys
// sharing the hash tag {pid}, so that a Redis Cluster keeps them in one
// slot and each script is atomic:
//
//	<prefix>-rec#{pid}     string  the session (JSON), expiring after the window
//	<prefix>-rec#{pid}#p   list    its entries, "<offset> <packet>", expiring with it
type Recovery struct {
	c          goredis.UniversalClient
	prefix     string
	window     time.Duration
	maxPackets int
}

var _ recovery.Store = (*Recovery)(nil)

// NewRecovery returns the Redis store of prefix: sessions kept for
// window, with at most maxPackets entries each.
func NewRecovery(c goredis.UniversalClient, prefix string, window time.Duration, maxPackets int) *Recovery {
	return &Recovery{c: c, prefix: prefix + "-rec#", window: window, maxPackets: maxPackets}
}

func (r *Recovery) keys(pid string) []string {
	k := r.prefix + "{" + pid + "}"
	return []string{k, k + "#p"}
}

// scriptPark replaces the session KEYS[1] with ARGV[2] and its entries
// KEYS[2] with ARGV[3…], both expiring after ARGV[1] ms.
var scriptPark = goredis.NewScript(`
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
for i = 3, #ARGV, 5000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 4999, #ARGV)))
end
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
`)

// scriptAppend adds ARGV[2] to the entries of a parked session, which
// goes once past ARGV[1] entries; 0 when it is not parked (any more).
var scriptAppend = goredis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
if redis.call('RPUSH', KEYS[2], ARGV[2]) > tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`)

// scriptTake returns the session and its entries and deletes both.
var scriptTake = goredis.NewScript(`
local s = redis.call('GET', KEYS[1])
if not s then return false end
local l = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2])
return {s, l}
`)

func (r *Recovery) Park(ctx context.Context, pid string, s recovery.Session, entries []recovery.Entry) error {
	if len(entries) > r.maxPackets {
		return r.c.Del(ctx, r.keys(pid)...).Err()
	}
	js, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("redis: encoding a parked session: %w", err)
	}
	args := make([]any, 0, 2+len(entries))
	args = append(args, r.window.Milliseconds(), js)
	for _, e := range entries {
		args = append(args, encodeEntry(e))
	}
	if err := scriptPark.Run(ctx, r.c, r.keys(pid), args...).Err(); err != nil {
		return fmt.Errorf("redis: parking a session: %w", err)
	}
	return nil
}

func (r *Recovery) Append(ctx context.Context, pid string, e recovery.Entry) (bool, error) {
	n, err := scriptAppend.Run(ctx, r.c, r.keys(pid), r.maxPackets, encodeEntry(e)).Int()
	if err != nil {
		return false, fmt.Errorf("redis: adding to a parked session: %w", err)
	}
	return n == 1, nil
}

func (r *Recovery) Take(ctx context.Context, pid string) (recovery.Session, []recovery.Entry, bool, error) {
	var s recovery.Session
	res, err := scriptTake.Run(ctx, r.c, r.keys(pid)).Slice()
	if errors.Is(err, goredis.Nil) {
		return s, nil, false, nil
	}
	if err != nil {
		return s, nil, false, fmt.Errorf("redis: taking a parked session: %w", err)
	}
	if len(res) != 2 {
		return s, nil, false, fmt.Errorf("redis: taking a parked session: %d values, want 2", len(res))
	}
	js, _ := res[0].(string)
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		return s, nil, false, fmt.Errorf("redis: reading a parked session: %w", err)
	}
	list, _ := res[1].([]any)
	entries := make([]recovery.Entry, 0, len(list))
	for _, v := range list {
		e, ok := decodeEntry(v)
		if !ok {
			return s, nil, false, errors.New("redis: reading a parked session: a malformed entry")
		}
		entries = append(entries, e)
	}
	return s, entries, true, nil
}

func (r *Recovery) Parked(ctx context.Context, pid string) (bool, error) {
	n, err := r.c.Exists(ctx, r.keys(pid)[0]).Result()
	if err != nil {
		return false, fmt.Errorf("redis: looking up a parked session: %w", err)
	}
	return n == 1, nil
}

// encodeEntry is "<offset> <packet>": an offset has no space.
func encodeEntry(e recovery.Entry) []byte {
	b := make([]byte, 0, len(e.Offset)+1+len(e.Packet))
	return append(append(append(b, e.Offset...), ' '), e.Packet...)
}

func decodeEntry(v any) (recovery.Entry, bool) {
	s, ok := v.(string)
	if !ok {
		return recovery.Entry{}, false
	}
	off, packet, ok := bytes.Cut([]byte(s), []byte{' '})
	return recovery.Entry{Offset: string(off), Packet: packet}, ok
}
