package redistest_test

import (
	"context"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	redisadapter "github.com/pushio/pushio/adapter/redis"
	"github.com/pushio/pushio/internal/test/redistest"
)

// setGet writes and reads back a key through redis.url, as pushio would.
func setGet(t *testing.T, url, key, val string) {
	t.Helper()
	c, err := redisadapter.NewClient(url, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Set(ctx, key, val, 0).Err(); err != nil {
		t.Fatalf("SET %s through %s: %v", key, url, err)
	}
	if got, err := c.Get(ctx, key).Result(); err != nil || got != val {
		t.Fatalf("GET %s through %s = %q, %v; want %q", key, url, got, err, val)
	}
}

func TestTopologiesServe(t *testing.T) {
	for _, topo := range redistest.Topologies {
		t.Run(topo.Name, func(t *testing.T) {
			start := time.Now()
			d := topo.Start(t)
			t.Logf("%s up in %s", topo.Name, time.Since(start).Round(time.Millisecond))
			// Keys in different slots: a Cluster must route them.
			for _, k := range []string{"a", "b", "c", "d"} {
				setGet(t, d.URL(), k, "v"+k)
			}
			if c, ok := d.(*redistest.Cluster); ok {
				wantThreeMasters(t, c)
			}
		})
	}
}

func wantThreeMasters(t *testing.T, c *redistest.Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := goredis.NewClient(&goredis.Options{Addr: c.Nodes[0].Addr()})
	defer r.Close()
	shards, err := r.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(shards) != 3 {
		t.Fatalf("cluster has %d slot ranges, want one on each of 3 masters: %+v", len(shards), shards)
	}
}

func TestSentinelFailover(t *testing.T) {
	s := redistest.StartSentinel(t)
	old := s.Primary.Addr()
	setGet(t, s.URL(), "k", "before")
	start := time.Now()
	s.Failover(t)
	t.Logf("failover took %s", time.Since(start).Round(time.Millisecond))
	if s.Primary.Addr() == old {
		t.Fatal("Failover did not change the primary")
	}
	// The new primary has what was written before, and takes writes.
	c, err := redisadapter.NewClient(s.URL(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "before" {
		t.Errorf("after the failover GET k = %q, %v; want before", got, err)
	}
	setGet(t, s.URL(), "k", "after")
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	goredis.SetLogger(quiet{}) // the sentinel client logs every switch
	os.Exit(m.Run())
}
