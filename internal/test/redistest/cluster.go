package redistest

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pushio/pushio/internal/test/need"
)

// clusterTimeout bounds the forming of a Redis Cluster, and a Sentinel
// failover.
const clusterTimeout = 20 * time.Second

// Cluster is a Redis Cluster of three masters without replicas, each a
// redis-server on a free port, stopped when the test ends.
type Cluster struct {
	Nodes []*Server
}

// StartCluster forms a three-master Redis Cluster (redis-cli --cluster
// create) and waits until every node says cluster_state:ok.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	cli := need.Program(t, "redis-cli")
	c := &Cluster{}
	args := []string{"--cluster", "create"}
	for range 3 {
		s := StartWith(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000")
		c.Nodes = append(c.Nodes, s)
		args = append(args, s.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, s := range c.Nodes {
		waitFor(t, ctx, s.Addr(), "cluster_state:ok", func(ctx context.Context, r poller) (bool, error) {
			info, err := r.ClusterInfo(ctx).Result()
			return strings.Contains(info, "cluster_state:ok"), err
		})
	}
	return c
}

// URL is the cluster's redis.url: the first node, the others as addr.
func (c *Cluster) URL() string {
	u := "redis://" + c.Nodes[0].Addr() + "?"
	for i, s := range c.Nodes[1:] {
		if i > 0 {
			u += "&"
		}
		u += "addr=" + s.Addr()
	}
	return u
}

// poller is what waitFor's condition asks: the server at an address, as
// a server or as a sentinel.
type poller struct {
	*goredis.Client
	sentinel *goredis.SentinelClient
}

// Stop kills every node.
func (c *Cluster) Stop() {
	for _, s := range c.Nodes {
		s.Stop()
	}
}

// waitFor polls cond on addr every 50 ms until it holds; it fails t,
// naming what, when ctx ends first.
func waitFor(t testing.TB, ctx context.Context, addr, what string, cond func(context.Context, poller) (bool, error)) {
	t.Helper()
	opts := &goredis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1}
	r := poller{goredis.NewClient(opts), goredis.NewSentinelClient(opts)}
	defer r.Close()
	defer r.sentinel.Close()
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		ok, err := cond(cctx, r)
		cancel()
		if ok && err == nil {
			return
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			t.Fatalf("redistest: %s: %s not reached in time (last error: %v)", addr, what, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
