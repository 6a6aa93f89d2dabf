package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"
)

// MasterName is the name under which the sentinels watch the primary.
const MasterName = "mymaster"

// Sentinel is a primary with one replica, watched by three redis-sentinel
// processes with a quorum of two, all on free ports and stopped when the
// test ends.
type Sentinel struct {
	// Sentinels are the redis-sentinel processes.
	Sentinels []*Server
	// Primary and Replica are the servers in their current roles: Failover
	// swaps them.
	Primary, Replica *Server
}

// StartSentinel starts the primary, its replica (and waits until it is in
// sync), then the sentinels, and waits until each names the primary.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	// A replica's first sync starts at once, not after the default 5 s
	// wait for more replicas; either may be the primary later.
	nodelay := []string{"--repl-diskless-sync-delay", "0"}
	s := &Sentinel{Primary: StartWith(t, nodelay...)}
	s.Replica = StartWith(t, append(nodelay, "--replicaof", "127.0.0.1", strconv.Itoa(s.Primary.Port()))...)
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	waitFor(t, ctx, s.Replica.Addr(), "the replica in sync", func(ctx context.Context, r poller) (bool, error) {
		info, err := r.Info(ctx, "replication").Result()
		return strings.Contains(info, "master_link_status:up"), err
	})
	primary := s.Primary.Port()
	for range 3 {
		s.Sentinels = append(s.Sentinels, start(t, "redis-sentinel", func(srv *Server) []string {
			conf := filepath.Join(srv.dir, "sentinel.conf")
			text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nloglevel warning\n"+
				"sentinel monitor %s 127.0.0.1 %d 2\n"+
				"sentinel down-after-milliseconds %[3]s 1000\n"+
				"sentinel failover-timeout %[3]s 10000\n",
				srv.port, srv.dir, MasterName, primary)
			if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
				t.Errorf("redistest: writing %s: %v", conf, err)
			}
			return []string{conf}
		}))
	}
	s.waitPrimary(t, ctx, s.Primary)
	return s
}

// URL is the deployment's redis.url: the first sentinel, the others as
// addr, and master_name.
func (s *Sentinel) URL() string {
	u := "redis://" + s.Sentinels[0].Addr() + "/0?master_name=" + MasterName
	for _, x := range s.Sentinels[1:] {
		u += "&addr=" + x.Addr()
	}
	return u
}

// Stop kills the primary and the replica; the sentinels stay.
func (s *Sentinel) Stop() {
	s.Primary.Stop()
	s.Replica.Stop()
}

// Failover has the sentinels promote the replica (SENTINEL FAILOVER) and
// returns once every sentinel names it as the primary and it acts as one.
// The old primary becomes its replica.
func (s *Sentinel) Failover(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	// Each sentinel must know the replica and the two other sentinels, or
	// it could miss the new configuration.
	for _, x := range s.Sentinels {
		waitFor(t, ctx, x.Addr(), "the replica and the other sentinels known", func(ctx context.Context, r poller) (bool, error) {
			m, err := r.sentinel.Master(ctx, MasterName).Result()
			return m["num-slaves"] == "1" && m["num-other-sentinels"] == "2", err
		})
	}
	sc := goredis.NewSentinelClient(&goredis.Options{Addr: s.Sentinels[0].Addr()})
	defer sc.Close()
	if err := sc.Failover(ctx, MasterName).Err(); err != nil {
		t.Fatalf("redistest: SENTINEL FAILOVER: %v", err)
	}
	s.Primary, s.Replica = s.Replica, s.Primary
	s.waitPrimary(t, ctx, s.Primary)
	waitFor(t, ctx, s.Primary.Addr(), "the new primary's role master", func(ctx context.Context, r poller) (bool, error) {
		info, err := r.Info(ctx, "replication").Result()
		return strings.Contains(info, "role:master"), err
	})
}

// waitPrimary waits until every sentinel names p as the primary.
func (s *Sentinel) waitPrimary(t testing.TB, ctx context.Context, p *Server) {
	t.Helper()
	for _, x := range s.Sentinels {
		waitFor(t, ctx, x.Addr(), "primary "+p.Addr(), func(ctx context.Context, r poller) (bool, error) {
			addr, err := r.sentinel.GetMasterAddrByName(ctx, MasterName).Result()
			return err == nil && len(addr) == 2 && addr[0]+":"+addr[1] == p.Addr(), err
		})
	}
}
