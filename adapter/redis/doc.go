// Package redis makes many pushio instances act as one server on Redis.
//
// Presence (adapter.Presence) keeps each instance's uid counts and the
// cluster-wide sums in Redis, so that "is this uid online anywhere?" and
// the counts are one round trip; heartbeats let the survivors remove a
// killed instance's uids, and every instance re-registers its presence
// when Redis comes back empty. Groups are there too (groups.go): the
// memberships by uid, which outlive every instance, and the pages' own,
// kept per instance like its pages and reaped with it; each group query is
// one script.
//
// Fanout (adapter.Fanout) carries broadcasts and room emits to the other
// instances in the wire format of Node's @socket.io/redis-adapter, so
// @socket.io/redis-emitter and Node socket.io servers with that adapter
// share a cluster with pushio. A push's presence lookup and its publishes
// go in one pipeline; the pushes sent while one pipeline is on its way go
// together in the next (send.go), one at a time, in order. When the
// client's connections move to another server (a Sentinel failover), the
// Fanout subscribes again there, from a goroutine of its own, before it
// closes the old subscription.
//
// NewClient turns redis.url into a go-redis UniversalClient: one server,
// Sentinel or Redis Cluster.
package redis
