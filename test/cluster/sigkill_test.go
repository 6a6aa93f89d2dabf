package cluster

import (
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/clustertest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/redistest"
)

func TestKilledInstanceGoesOffline(t *testing.T) {
	redistest.Each(t, testKilledInstanceGoesOffline)
}

func testKilledInstanceGoesOffline(t *testing.T, redis redistest.Deployment) {
	const ttl = 2 * time.Second
	args := []string{"--redis.url", redis.URL(), "--redis.prefix", redistest.Prefix(t), "--redis.presence_ttl", ttl.String()}
	victim := harness.StartT(t, harness.Binary(), harness.Options{Args: args})
	survivor := harness.StartT(t, harness.Binary(), harness.Options{Args: args})
	if victim.Instance == "" || victim.Instance == survivor.Instance {
		t.Fatalf("instance ids %q and %q: want two distinct ones", victim.Instance, survivor.Instance)
	}

	clustertest.Login(t, victim.IOURL(), "doomed")
	clustertest.Login(t, survivor.IOURL(), "alive")
	clustertest.WantAnswer(t, survivor.APIURL(), "type=online&uid=doomed", "online")
	clustertest.WantAnswer(t, survivor.APIURL(), "type=count", `{"uids":2,"pages":2}`)

	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	took := eventually.True(t, ttl+time.Second, "the killed instance's uid goes offline", func() bool {
		_, body := clustertest.Get(t, survivor.APIURL(), "type=online&uid=doomed")
		return body == "offline"
	})
	t.Logf("SIGKILLed instance's uid went offline after %s (redis.presence_ttl %s)", took.Round(time.Millisecond), ttl)
	clustertest.WantAnswer(t, survivor.APIURL(), "type=count", `{"uids":1,"pages":1}`)
	clustertest.WantAnswer(t, survivor.APIURL(), "type=online&uid=alive", "online")
}
