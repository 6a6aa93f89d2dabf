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
end

local function drop(id)
  subtract(id)
  redis.call('SREM', synced, id)
  redis.call('ZREM', instances, id)
end
`

// scriptChange records page ARGV[5] of uid ARGV[3] on this instance
// (ARGV[4] = 1) or removes it (-1). It answers -1, changing nothing, when
// the instance is not synced (Redis restarted or reaped it): the next
// heartbeat re-registers the whole local map. A join of a page recorded
// already, or a leave of a page not recorded, is a no-op.
var scriptChange = goredis.NewScript(luaCommon + `
if redis.call('SISMEMBER', synced, self) == 0 then return -1 end
local uid, d, client = ARGV[3], tonumber(ARGV[4]), ARGV[5]
local inst, instc = instPrefix .. self, instcPrefix .. self
if d > 0 then
  if redis.call('HSETNX', instc, client, uid) == 0 then return 0 end
  addClient(client, uid)
else
  if redis.call('HGET', instc, client) ~= uid then return 0 end
  redis.call('HDEL', instc, client)
  removeClient(client, uid)
end
local n = tonumber(redis.call('HGET', inst, uid) or '0') + d
if n <= 0 then redis.call('HDEL', inst, uid) else redis.call('HSET', inst, uid, n) end
add(uid, d)
addPages(d)
return 1
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

// scriptSync replaces this instance's record with its pages, pairs
// client id, uid from ARGV[6] on. ARGV[4] = "1" clears the old record first (the first chunk);
// ARGV[5] = "1" marks the instance synced and alive for ARGV[3] ms (the
// last chunk).
var scriptSync = goredis.NewScript(luaCommon + `
if ARGV[4] == '1' then
  subtract(self)
  redis.call('SREM', synced, self)
end
local inst, instc = instPrefix .. self, instcPrefix .. self
local total = 0
for i = 6, #ARGV, 2 do
  local client, uid = ARGV[i], ARGV[i + 1]
  if redis.call('HSETNX', instc, client, uid) == 1 then
    redis.call('HINCRBY', inst, uid, 1)
    add(uid, 1)
    addClient(client, uid)
    total = total + 1
  end
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
