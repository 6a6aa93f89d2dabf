package redis

import (
	"fmt"
	"net/url"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// NewClient connects to redis.url, whose form picks the deployment:
//
//	redis://[user:pass@]host:6379/0       one server (rediss:// for TLS)
//	unix:///run/redis.sock?db=0           one server on a unix socket
//	redis://sentinel1:26379/0?master_name=mymaster&addr=sentinel2:26379
//	                                      Sentinel: the host and each addr
//	                                      are sentinels, master_name the group
//	redis://node1:7000?addr=node2:7000&addr=node3:7000
//	                                      Redis Cluster: the host and each
//	                                      addr are seed nodes
//
// Any other go-redis option can be given as a query parameter in snake
// case (dial_timeout=3s, pool_size=20, …). timeout is the default dial
// timeout, and every call honours its context's deadline.
func NewClient(rawURL string, timeout time.Duration) (goredis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis: parsing redis.url: %w", err)
	}
	q := u.Query()
	tune := func(ctxTimeout *bool, dialTimeout *time.Duration) {
		*ctxTimeout = true
		if !q.Has("dial_timeout") {
			*dialTimeout = timeout
		}
	}
	wrap := func(err error) error {
		return fmt.Errorf("redis: parsing redis.url %q: %w", u.Redacted(), err)
	}
	switch {
	case q.Has("master_name"):
		o, err := goredis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, wrap(err)
		}
		tune(&o.ContextTimeoutEnabled, &o.DialTimeout)
		return goredis.NewFailoverClient(o), nil
	case q.Has("addr"):
		o, err := goredis.ParseClusterURL(rawURL)
		if err != nil {
			return nil, wrap(err)
		}
		tune(&o.ContextTimeoutEnabled, &o.DialTimeout)
		return goredis.NewClusterClient(o), nil
	default:
		o, err := goredis.ParseURL(rawURL)
		if err != nil {
			return nil, wrap(err)
		}
		tune(&o.ContextTimeoutEnabled, &o.DialTimeout)
		return goredis.NewClient(o), nil
	}
}
