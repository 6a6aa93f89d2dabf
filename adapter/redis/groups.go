package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/adapter"
)

// pageKey is uid's pages in group by their own membership.
type pageKey struct{ group, uid string }

// scanBound is how many uids one UIDs call looks at, at most, per uid it
// may list: a group of mostly offline members then answers a short page
// with a cursor rather than scanning all of them in one script.
const scanBound = 4

// scriptJoinGroups makes each uid of ARGV[5..4+ARGV[4]] a member of each
// group after them, all or nothing: it answers {0, uid} for the first uid
// that would pass ARGV[3] groups, changing nothing, else {1}.
var scriptJoinGroups = goredis.NewScript(luaCommon + `
local max, k = tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 5, 4 + k do
  local key = base .. 'ug#' .. ARGV[i]
  local n = redis.call('SCARD', key)
  for j = 5 + k, #ARGV do
    if redis.call('SISMEMBER', key, ARGV[j]) == 0 then n = n + 1 end
  end
  if n > max then return {0, ARGV[i]} end
end
for i = 5, 4 + k do
  for j = 5 + k, #ARGV do
    redis.call('SADD', base .. 'ug#' .. ARGV[i], ARGV[j])
    redis.call('ZADD', base .. 'gm#' .. ARGV[j], 0, ARGV[i])
  end
end
return {1}
`)

// scriptLeaveGroups ends the memberships of each uid of ARGV[4..3+ARGV[3]]
// in each group after them.
var scriptLeaveGroups = goredis.NewScript(luaCommon + `
local k = tonumber(ARGV[3])
for i = 4, 3 + k do
  for j = 4 + k, #ARGV do
    redis.call('SREM', base .. 'ug#' .. ARGV[i], ARGV[j])
    redis.call('ZREM', base .. 'gm#' .. ARGV[j], ARGV[i])
  end
end
return 1
`)

// scriptUngroup ends every membership of each group of ARGV[3..]. The
// instances' ginst entries of its pages stay until the pages go: taking
// them off then finds nothing (count drops what goes to zero or below).
var scriptUngroup = goredis.NewScript(luaCommon + `
for i = 3, #ARGV do
  local g = ARGV[i]
  for _, uid in ipairs(redis.call('ZRANGE', base .. 'gm#' .. g, 0, -1)) do
    redis.call('SREM', base .. 'ug#' .. uid, g)
  end
  redis.call('DEL', base .. 'gm#' .. g, base .. 'gp#' .. g, base .. 'gpz#' .. g)
end
return 1
`)

// luaGroupRead is the start of the read-only group scripts: pagesOf(uid)
// is uid's pages in the cluster.
const luaGroupRead = luaCommon + `
local function pagesOf(uid) return tonumber(redis.call('HGET', uids, uid) or '0') end
`

// scriptGroupOnline answers, for each group of ARGV[3..], 1 when a page is
// in it: one by its own membership, or one of an online uid member.
var scriptGroupOnline = goredis.NewScript(luaGroupRead + `
local out = {}
for i = 3, #ARGV do
  local g, on = ARGV[i], 0
  if redis.call('EXISTS', base .. 'gp#' .. g) == 1 then on = 1 end
  local key, last = base .. 'gm#' .. g, '-'
  while on == 0 do
    local batch = redis.call('ZRANGEBYLEX', key, last, '+', 'LIMIT', 0, 1000)
    if #batch == 0 then break end
    for _, uid in ipairs(batch) do
      if pagesOf(uid) > 0 then on = 1 break end
    end
    last = '(' .. batch[#batch]
  end
  out[#out + 1] = on
end
return out
`)

// scriptGroupCounts answers {uids, pages} of group ARGV[3]: its online uid
// members with all their pages, and its pages by their own membership
// whose uid is not a member.
var scriptGroupCounts = goredis.NewScript(luaGroupRead + `
local g = ARGV[3]
local members = base .. 'gm#' .. g
local u, n = 0, 0
for _, uid in ipairs(redis.call('ZRANGE', members, 0, -1)) do
  local c = pagesOf(uid)
  if c > 0 then u, n = u + 1, n + c end
end
local kv = redis.call('HGETALL', base .. 'gp#' .. g)
for i = 1, #kv, 2 do
  if not redis.call('ZSCORE', members, kv[i]) then u, n = u + 1, n + tonumber(kv[i + 1]) end
end
return {u, n}
`)

// scriptUIDs lists up to ARGV[6] online uids after cursor ARGV[4]..ARGV[5]
// (phase "m" or "p", and the last uid listed, "" for none): of everyone
// when group ARGV[3] is "" (phase m: online), else the online uid members
// of the group (phase m) then the uids only in it by their pages (phase p:
// gpz#). It looks at ARGV[7] uids at most and answers {uids, phase, last,
// done}.
var scriptUIDs = goredis.NewScript(luaGroupRead + `
local g, phase, last, limit, budget = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local out = {}
local members = base .. 'gm#' .. g
local function scan(key, keep)
  while #out < limit and budget > 0 do
    local from = '-'
    if last ~= '' then from = '(' .. last end
    local batch = redis.call('ZRANGEBYLEX', key, from, '+', 'LIMIT', 0, math.min(limit - #out, budget))
    if #batch == 0 then return true end
    for _, uid in ipairs(batch) do
      budget = budget - 1
      last = uid
      if keep(uid) then out[#out + 1] = uid end
    end
  end
  return false
end
local done
if g == '' then
  done = scan(online, function() return true end)
else
  if phase == 'm' then
    done = scan(members, function(uid) return pagesOf(uid) > 0 end)
    if done then phase, last = 'p', '' end
  end
  if phase == 'p' then
    done = scan(base .. 'gpz#' .. g, function(uid) return not redis.call('ZSCORE', members, uid) end)
  end
end
if done then return {out, phase, last, 1} end
return {out, phase, last, 0}
`)

// groupsOf reads uid's groups alone (while this instance's record waits
// for the heartbeat to carry its changes).
func (p *Presence) groupsOf(ctx context.Context, uid string) ([]string, error) {
	groups, err := p.c.SMembers(ctx, p.keys.base+"ug#"+uid).Result()
	if err != nil {
		return nil, fmt.Errorf("redis presence: reading the groups of uid %q: %w", uid, err)
	}
	return groups, nil
}

// JoinGroups implements adapter.Presence in one script.
func (p *Presence) JoinGroups(ctx context.Context, uids, groups []string, max int) error {
	args := p.args(append(append([]any{max, len(uids)}, anys(uids)...), anys(groups)...)...)
	res, err := scriptJoinGroups.Run(ctx, p.c, p.keys.list(), args...).Slice()
	if err != nil {
		return fmt.Errorf("redis presence: joining %d uids to %d groups: %w", len(uids), len(groups), err)
	}
	if ok, _ := res[0].(int64); ok == 0 && len(res) == 2 {
		uid, _ := res[1].(string)
		return &adapter.TooManyGroupsError{UID: uid, Max: max}
	}
	return nil
}

// LeaveGroups implements adapter.Presence in one script.
func (p *Presence) LeaveGroups(ctx context.Context, uids, groups []string) error {
	args := p.args(append(append([]any{len(uids)}, anys(uids)...), anys(groups)...)...)
	if err := scriptLeaveGroups.Run(ctx, p.c, p.keys.list(), args...).Err(); err != nil {
		return fmt.Errorf("redis presence: leaving %d groups for %d uids: %w", len(groups), len(uids), err)
	}
	return nil
}

// Ungroup implements adapter.Presence in one script.
func (p *Presence) Ungroup(ctx context.Context, groups []string) error {
	if err := scriptUngroup.Run(ctx, p.c, p.keys.list(), p.args(anys(groups)...)...).Err(); err != nil {
		return fmt.Errorf("redis presence: ungrouping %d groups: %w", len(groups), err)
	}
	return nil
}

// GroupOnline implements adapter.Presence in one script.
func (p *Presence) GroupOnline(ctx context.Context, groups []string) ([]bool, error) {
	cmd := scriptGroupOnline.Run(ctx, p.c, p.keys.list(), p.args(anys(groups)...)...)
	if err := cmd.Err(); err != nil {
		return nil, fmt.Errorf("redis presence: reading %d groups: %w", len(groups), err)
	}
	return groupOnlineOf(cmd, len(groups)), nil
}

// groupOnlineCmd is GroupOnline's script in a pipeline, sent whole: a
// pipeline cannot fall back from EVALSHA on a Redis that lost the script.
func (p *Presence) groupOnlineCmd(ctx context.Context, pipe goredis.Pipeliner, groups []string) *goredis.Cmd {
	return scriptGroupOnline.Eval(ctx, pipe, p.keys.list(), p.args(anys(groups)...)...)
}

// groupOnlineOf reads GroupOnline's script's answer for n groups.
func groupOnlineOf(cmd *goredis.Cmd, n int) []bool {
	res, _ := cmd.Int64Slice()
	out := make([]bool, n)
	for i := range out {
		out[i] = i < len(res) && res[i] == 1
	}
	return out
}

// GroupCounts implements adapter.Presence in one script.
func (p *Presence) GroupCounts(ctx context.Context, group string) (adapter.Counts, error) {
	res, err := scriptGroupCounts.Run(ctx, p.c, p.keys.list(), p.args(group)...).Int64Slice()
	if err != nil || len(res) != 2 {
		return adapter.Counts{}, fmt.Errorf("redis presence: counting group %q: %w", group, err)
	}
	return adapter.Counts{UIDs: res[0], Pages: res[1]}, nil
}

// UIDs implements adapter.Presence in one script.
func (p *Presence) UIDs(ctx context.Context, group, cursor string, limit int) ([]string, string, error) {
	cur, err := adapter.DecodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	phase := "m"
	if cur.Pages {
		phase = "p"
	}
	args := p.args(group, phase, cur.Last, limit, scanBound*limit)
	res, err := scriptUIDs.Run(ctx, p.c, p.keys.list(), args...).Slice()
	if err != nil || len(res) != 4 {
		return nil, "", fmt.Errorf("redis presence: listing uids: %w", err)
	}
	out := strs(res[0])
	if done, _ := res[3].(int64); done == 1 {
		return out, "", nil
	}
	next, _ := res[2].(string)
	nextPhase, _ := res[1].(string)
	return out, adapter.Cursor{Pages: nextPhase == "p", Last: next}.Encode(), nil
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// strs reads a script's array of strings.
func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
