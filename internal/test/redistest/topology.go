package redistest

import "testing"

// Deployment is a running Redis deployment that pushio instances share
// through its redis.url.
type Deployment interface {
	URL() string
	// Stop kills every Redis server of the deployment (not the
	// sentinels): Redis is away.
	Stop()
}

// Topology is one kind of deployment that redis.url can name.
type Topology struct {
	Name string
	// Start starts a deployment of this kind for the duration of t.
	Start func(t testing.TB) Deployment
}

// Topologies are the deployments pushio supports: one redis-server, a
// three-master Redis Cluster, and a primary and replica under Sentinel.
// Tests of behaviour that must hold on each run once per topology.
var Topologies = []Topology{
	{"single", func(t testing.TB) Deployment { return Start(t) }},
	{"cluster", func(t testing.TB) Deployment { return StartCluster(t) }},
	{"sentinel", func(t testing.TB) Deployment { return StartSentinel(t) }},
}

// Each runs f once per topology, as a subtest named after it, on a
// deployment of its own.
func Each(t *testing.T, f func(t *testing.T, d Deployment)) {
	t.Helper()
	for _, topo := range Topologies {
		t.Run(topo.Name, func(t *testing.T) { f(t, topo.Start(t)) })
	}
}
