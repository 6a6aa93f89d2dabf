package redis

import (
	goredis "github.com/redis/go-redis/v9"
)

// presenceKeys names the Redis keys of one prefix's presence. They share
// the hash tag {prefix}, so a Redis Cluster keeps them in one slot and the
// scripts may touch them all.
//
//	uids       hash  uid → sockets in the cluster  (Online: HMGET; Counts: HLEN)
//	pages      string  sockets in the cluster      (Counts: GET)
//	instances  zset  instance id → expiry (ms, Redis clock)
//	synced     set   instances whose record matches their local map
//	inst:<id>  hash  uid → sockets on that instance
//	held#<uid>      list    uid's held messages, oldest first: each
//	                        "<expiry ms>|<id>|<text>"; expires with its
//	                        longest-lived message
//	heldsize#<uid>  string  the bytes of uid's held ids and texts, with
//	                        the list's expiry
type presenceKeys struct {
	uids, pages, instances, synced, instPrefix string
	held, heldSize                             string
}

func newPresenceKeys(prefix string) presenceKeys {
	base := "{" + prefix + "}-presence#"
	return presenceKeys{
		uids:       base + "uids",
		pages:      base + "pages",
		instances:  base + "instances",
		synced:     base + "synced",
		instPrefix: base + "inst#",
		held:       base + "held#",
		heldSize:   base + "heldsize#",
	}
}

// The scripts take KEYS = uids, pages, instances, synced (in that order)
// and ARGV[1] = the prefix of instance hashes, ARGV[2] = this instance's id.
func (k presenceKeys) list() []string { return []string{k.uids, k.pages, k.instances, k.synced} }

// luaCommon is the start of every script: now() in ms on Redis's clock,
// and drop(id), which takes an instance's sockets off the cluster-wide
// figures and forgets the instance.
const luaCommon = `
local uids, pages, instances, synced = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local instPrefix, self = ARGV[1], ARGV[2]

local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function add(uid, n)
  if redis.call('HINCRBY', uids, uid, n) <= 0 then redis.call('HDEL', uids, uid) end
end

local function addPages(n)
  if n ~= 0 and redis.call('INCRBY', pages, n) <= 0 then redis.call('DEL', pages) end
end

local function subtract(id)
  local inst = instPrefix .. id
  local kv = redis.call('HGETALL', inst)
  local total = 0
  for i = 1, #kv, 2 do
    local n = tonumber(kv[i + 1])
    add(kv[i], -n)
    total = total + n
  end
  addPages(-total)
  redis.call('DEL', inst)
end

local function drop(id)
  subtract(id)
  redis.call('SREM', synced, id)
  redis.call('ZREM', instances, id)
end
`

// luaChange defines change(uid, d), which records d (+1 or -1) sockets of
// uid on this instance. It answers -1, changing nothing, when the instance
// is not synced (Redis restarted or reaped it): the next heartbeat
// re-registers the whole local map. A leave that finds nothing to remove
// is a no-op.
const luaChange = `
local function change(uid, d)
  if redis.call('SISMEMBER', synced, self) == 0 then return -1 end
  local inst = instPrefix .. self
  local n = tonumber(redis.call('HGET', inst, uid) or '0') + d
  if n < 0 then return 0 end
  if n == 0 then redis.call('HDEL', inst, uid) else redis.call('HSET', inst, uid, n) end
  add(uid, d)
  addPages(d)
  return 1
end
`

// scriptChange records delta ARGV[4] sockets of uid ARGV[3] (luaChange).
var scriptChange = goredis.NewScript(luaCommon + luaChange + `
return change(ARGV[3], tonumber(ARGV[4]))
`)

// luaHeld is the start of the held-message scripts: ARGV[3] and ARGV[4]
// are the prefixes of the held lists and of their sizes; expiry(e) reads
// a held element's expiry and where its "<id>|<text>" starts.
const luaHeld = `
local heldPrefix, sizePrefix = ARGV[3], ARGV[4]

local function expiry(e)
  local bar = string.find(e, '|', 1, true)
  return tonumber(string.sub(e, 1, bar - 1)), bar + 1
end

local function live(uid, t)
  local out = {}
  for _, e in ipairs(redis.call('LRANGE', heldPrefix .. uid, 0, -1)) do
    local exp, from = expiry(e)
    if exp > t then out[#out + 1] = string.sub(e, from) end
  end
  return out
end

local function purge(uid)
  redis.call('DEL', heldPrefix .. uid, sizePrefix .. uid)
end
`

// scriptJoinTake records one more socket of uid ARGV[5] on this instance
// when ARGV[6] is "1" (luaChange) and takes uid's unexpired held
// messages, in one step. It answers {change's answer, "<id>|<text>"…}.
var scriptJoinTake = goredis.NewScript(luaCommon + luaChange + luaHeld + `
local uid = ARGV[5]
local res = 1
if ARGV[6] == '1' then res = change(uid, 1) end
local out = live(uid, now())
purge(uid)
table.insert(out, 1, res)
return out
`)

// scriptHold publishes ARGV[11] on channel ARGV[10] (none when empty) and
// holds the message id ARGV[8], text ARGV[9] for ARGV[7] ms (none when 0)
// for each uid from ARGV[12] on that has no socket in the cluster, within
// ARGV[5] messages and ARGV[6] bytes per uid (oldest dropped first, and
// the expired at the head of a list). It answers one 1 (online) or 0 per
// uid, then how many messages the limits dropped.
var scriptHold = goredis.NewScript(luaCommon + luaHeld + `
local maxN, maxB, ttl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local id, text = ARGV[8], ARGV[9]
local t = now()
local size = #id + #text
local elem = (t + ttl) .. '|' .. id .. '|' .. text
local out, dropped = {}, 0

local function hold(uid)
  if size > maxB then
    dropped = dropped + 1
    return
  end
  local lk, sk = heldPrefix .. uid, sizePrefix .. uid
  local n, b = redis.call('RPUSH', lk, elem), size
  if n == 1 then redis.call('SET', sk, size) else b = redis.call('INCRBY', sk, size) end
  while n > 0 do
    local head = redis.call('LINDEX', lk, 0)
    local exp, from = expiry(head)
    local over = n > maxN or b > maxB
    if not over and exp > t then break end
    if over and exp > t then dropped = dropped + 1 end
    redis.call('LPOP', lk)
    b = redis.call('DECRBY', sk, #head - from)
    n = n - 1
  end
  if redis.call('PTTL', lk) < ttl then
    redis.call('PEXPIRE', lk, ttl)
    redis.call('PEXPIRE', sk, ttl)
  end
end

for i = 12, #ARGV do
  local uid = ARGV[i]
  if tonumber(redis.call('HGET', uids, uid) or '0') > 0 then
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
    if ttl > 0 then hold(uid) end
  end
end
if ARGV[10] ~= '' then redis.call('PUBLISH', ARGV[10], ARGV[11]) end
out[#out + 1] = dropped
return out
`)

// scriptHeldCount answers how many of uid ARGV[5]'s held messages live.
var scriptHeldCount = goredis.NewScript(luaCommon + luaHeld + `
return #live(ARGV[5], now())
`)

// scriptPurge drops uid ARGV[5]'s held messages and answers how many of
// them lived.
var scriptPurge = goredis.NewScript(luaCommon + luaHeld + `
local n = #live(ARGV[5], now())
purge(ARGV[5])
return n
`)

// scriptHeartbeat keeps this instance alive for ARGV[3] ms more, reaps the
// instances whose time ran out, and answers 1 when this instance is synced,
// 0 when it must re-register.
var scriptHeartbeat = goredis.NewScript(luaCommon + `
local t = now()
local dead = redis.call('ZRANGEBYSCORE', instances, '-inf', t)
for _, id in ipairs(dead) do
  if id ~= self then drop(id) end
end
redis.call('ZADD', instances, t + tonumber(ARGV[3]), self)
return redis.call('SISMEMBER', synced, self)
`)

// scriptSync replaces this instance's record with pairs uid, count from
// ARGV[6] on. ARGV[4] = "1" clears the old record first (the first chunk);
// ARGV[5] = "1" marks the instance synced and alive for ARGV[3] ms (the
// last chunk).
var scriptSync = goredis.NewScript(luaCommon + `
if ARGV[4] == '1' then
  subtract(self)
  redis.call('SREM', synced, self)
end
local inst = instPrefix .. self
local total = 0
for i = 6, #ARGV, 2 do
  local n = tonumber(ARGV[i + 1])
  redis.call('HINCRBY', inst, ARGV[i], n)
  add(ARGV[i], n)
  total = total + n
end
addPages(total)
if ARGV[5] == '1' then
  redis.call('SADD', synced, self)
  redis.call('ZADD', instances, now() + tonumber(ARGV[3]), self)
end
return 1
`)

// scriptRemove takes this instance out of the cluster at once.
var scriptRemove = goredis.NewScript(luaCommon + `
drop(self)
return 1
`)
