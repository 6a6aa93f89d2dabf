package redis

import (
	goredis "github.com/redis/go-redis/v9"
)

// presenceKeys names the Redis keys of one prefix's presence. They share
// the hash tag {prefix}, so a Redis Cluster keeps them in one slot and the
// scripts may touch them all.
//
//	uids        hash  uid → pages in the cluster   (Online: HMGET; Counts: HLEN)
//	pages       string  pages in the cluster       (Counts: GET)
//	clients     hash  client id → uid, every page in the cluster (Reach: HMGET)
//	instances   zset  instance id → expiry (ms, Redis clock)
//	synced      set   instances whose record matches their local map
//	inst#<id>   hash  uid → pages on that instance
//	instc#<id>  hash  client id → uid, the pages on that instance
//	uc#<uid>    zset  the client ids of uid's pages, all scores 0 (Clients: ZRANGEBYLEX)
//	online      zset  the uids of uids, all scores 0 (UIDs: ZRANGEBYLEX)
//
// and the groups (groups.go):
//
//	ug#<uid>    set   the groups of uid, by membership of the uid
//	gm#<g>      zset  the uids members of group g, all scores 0
//	gp#<g>      hash  uid → its pages in g by their own membership
//	gpz#<g>     zset  the uids of gp#<g>, all scores 0
//	ginst#<id>  hash  <len(g)>:<g><uid> → that instance's pages of uid in
//	            g by their own membership
//
// The keys named after an instance or a uid are built by the scripts from
// base; they share the hash tag, so they are in the same slot.
type presenceKeys struct {
	base, uids, pages, clients, instances, synced, instPrefix, ucPrefix string
}

func newPresenceKeys(prefix string) presenceKeys {
	base := "{" + prefix + "}-presence#"
	return presenceKeys{
		base:       base,
		uids:       base + "uids",
		pages:      base + "pages",
		clients:    base + "clients",
		instances:  base + "instances",
		synced:     base + "synced",
		instPrefix: base + "inst#",
		ucPrefix:   base + "uc#",
	}
}

// The scripts take KEYS = uids, pages, instances, synced, clients (in that
// order) and ARGV[1] = the base of every key, ARGV[2] = this instance's id.
func (k presenceKeys) list() []string {
	return []string{k.uids, k.pages, k.instances, k.synced, k.clients}
}

// luaCommon is the start of every script: now() in ms on Redis's clock,
// and drop(id), which takes an instance's sockets off the cluster-wide
// figures and forgets the instance.
const luaCommon = `
local uids, pages, instances, synced, clients = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local base, self = ARGV[1], ARGV[2]
local instPrefix, instcPrefix, ucPrefix = base .. 'inst#', base .. 'instc#', base .. 'uc#'
local online = base .. 'online'

local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- count adds n to field f of hash h, keeping zset z to h's fields.
local function count(h, z, f, n)
  local v = redis.call('HINCRBY', h, f, n)
  if v <= 0 then
    redis.call('HDEL', h, f)
    redis.call('ZREM', z, f)
  elseif v == n then
    redis.call('ZADD', z, 0, f)
  end
end

local function add(uid, n) count(uids, online, uid, n) end

local function addGroup(g, uid, n) count(base .. 'gp#' .. g, base .. 'gpz#' .. g, uid, n) end

-- pageField names uid's pages in g in an instance's ginst hash.
local function pageField(g, uid) return #g .. ':' .. g .. uid end

-- pageGroups adds d pages of uid to each group of ARGV[from..] on this
-- instance (a leave that finds none is a no-op).
local function pageGroups(uid, d, from)
  local ginst = base .. 'ginst#' .. self
  for i = from, #ARGV do
    local f = pageField(ARGV[i], uid)
    local m = tonumber(redis.call('HGET', ginst, f) or '0') + d
    if m >= 0 then
      if m == 0 then redis.call('HDEL', ginst, f) else redis.call('HSET', ginst, f, m) end
      addGroup(ARGV[i], uid, d)
    end
  end
end

local function addPages(n)
  if n ~= 0 and redis.call('INCRBY', pages, n) <= 0 then redis.call('DEL', pages) end
end

local function addClient(client, uid)
  redis.call('HSET', clients, client, uid)
  redis.call('ZADD', ucPrefix .. uid, 0, client)
end

local function removeClient(client, uid)
  redis.call('HDEL', clients, client)
  redis.call('ZREM', ucPrefix .. uid, client)
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
  local instc = instcPrefix .. id
  kv = redis.call('HGETALL', instc)
  for i = 1, #kv, 2 do removeClient(kv[i], kv[i + 1]) end
  redis.call('DEL', instc)
  local ginst = base .. 'ginst#' .. id
  kv = redis.call('HGETALL', ginst)
  for i = 1, #kv, 2 do
    local f = kv[i]
    local colon = string.find(f, ':', 1, true)
    local len = tonumber(string.sub(f, 1, colon - 1))
    addGroup(string.sub(f, colon + 1, colon + len), string.sub(f, colon + len + 1), -tonumber(kv[i + 1]))
  end
  redis.call('DEL', ginst)
end

local function drop(id)
  subtract(id)
  redis.call('SREM', synced, id)
  redis.call('ZREM', instances, id)
end
`

// scriptChange records page ARGV[5] of uid ARGV[3] on this instance
// (ARGV[4] = 1), removes it (-1) or leaves it (0), and adds ARGV[6] (+1 or
// -1) of uid's pages to each group of ARGV[7..] by their own membership.
// It answers {status, the uid's groups}: status -1, changing nothing,
// when the instance is not synced (Redis restarted or reaped it): the
// next heartbeat re-registers the whole local map. A join of a page
// recorded already, or a leave of a page not recorded, is a no-op
// (status 0).
var scriptChange = goredis.NewScript(luaCommon + `
local uid, d, client = ARGV[3], tonumber(ARGV[4]), ARGV[5]
local groups = redis.call('SMEMBERS', base .. 'ug#' .. uid)
if redis.call('SISMEMBER', synced, self) == 0 then return {-1, groups} end
local inst, instc = instPrefix .. self, instcPrefix .. self
if d > 0 then
  if redis.call('HSETNX', instc, client, uid) == 0 then return {0, groups} end
  addClient(client, uid)
elseif d < 0 then
  if redis.call('HGET', instc, client) ~= uid then return {0, groups} end
  redis.call('HDEL', instc, client)
  removeClient(client, uid)
end
if d ~= 0 then
  local n = tonumber(redis.call('HGET', inst, uid) or '0') + d
  if n <= 0 then redis.call('HDEL', inst, uid) else redis.call('HSET', inst, uid, n) end
  add(uid, d)
  addPages(d)
end
pageGroups(uid, tonumber(ARGV[6]), 7)
return {1, groups}
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

// scriptSync replaces this instance's record with the entries from
// ARGV[7] on: its pages, pairs client id, uid, when ARGV[6] is "c";
// triples group, uid, count (pages in the group by their own membership)
// when it is "g". ARGV[4] = "1" clears the old record first (the first
// chunk); ARGV[5] = "1" marks the instance synced and alive for ARGV[3]
// ms (the last chunk).
var scriptSync = goredis.NewScript(luaCommon + `
if ARGV[4] == '1' then
  subtract(self)
  redis.call('SREM', synced, self)
end
if ARGV[6] == 'c' then
  local inst, instc = instPrefix .. self, instcPrefix .. self
  local total = 0
  for i = 7, #ARGV, 2 do
    local client, uid = ARGV[i], ARGV[i + 1]
    if redis.call('HSETNX', instc, client, uid) == 1 then
      redis.call('HINCRBY', inst, uid, 1)
      add(uid, 1)
      addClient(client, uid)
      total = total + 1
    end
  end
  addPages(total)
else
  local ginst = base .. 'ginst#' .. self
  for i = 7, #ARGV, 3 do
    local n = tonumber(ARGV[i + 2])
    redis.call('HINCRBY', ginst, pageField(ARGV[i], ARGV[i + 1]), n)
    addGroup(ARGV[i], ARGV[i + 1], n)
  end
end
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
