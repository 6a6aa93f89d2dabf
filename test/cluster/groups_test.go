package cluster

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/clustertest"
	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/internal/test/siotest"
	"github.com/pushio/pushio/server"
)

// TestGroupsAcrossInstances: on every Redis topology, with 3 instances,
// joins by uid made through one instance while the pages log in on the
// others all end up in the group, however the two interleave; a group
// push (alone or as a batch item) through any instance reaches each page
// once; counts agree everywhere; a leave by uid through another instance
// takes that uid's page out; ungroup ends the group.
func TestGroupsAcrossInstances(t *testing.T) {
	redistest.Each(t, testGroupsAcrossInstances)
}

func testGroupsAcrossInstances(t *testing.T, d redistest.Deployment) {
	_, nodes := clustertest.StartClusterOn(t, d, 3, 15*time.Second)
	const n = 12
	pages := make([]*siotest.Client, n)
	var wg sync.WaitGroup
	for i := range n {
		uid := fmt.Sprintf("r%d", i)
		wg.Go(func() { // the join, through another instance than the page's
			clustertest.WantAnswer(t, nodes[(i+1)%3].API, "type=join&group=race&uid="+uid, "ok")
		})
		wg.Go(func() {
			c := clustertest.Connect(t, nodes[i%3].IO)
			if err := c.Emit(server.EventLogin, uid); err != nil {
				t.Error(err)
				return
			}
			if _, err := c.Next(server.EventOnlineCount, 5*time.Second); err != nil {
				t.Errorf("login %s: %v", uid, err)
			}
			pages[i] = c
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, node := range nodes {
		clustertest.WantAnswer(t, node.API, "type=count&group=race", fmt.Sprintf(`{"uids":%d,"pages":%d}`, n, n))
		clustertest.WantAnswer(t, node.API, "type=publish&group=race&content=via+"+fmt.Sprint(i), "ok")
		for j, c := range pages {
			clustertest.ReceiveOnce(t, c, fmt.Sprintf("page r%d after push %d", j, i), fmt.Sprintf("via %d", i))
		}
	}

	// A batch item naming the group and a uid in it: one copy each.
	answers := postBatch(t, nodes[1].API, `[{"group":"race","to":"r0","content":"batched"},{"group":"none","content":"x"}]`)
	if len(answers) != 2 || answers[0]["result"] != "ok" || answers[1]["result"] != "offline" {
		t.Fatalf("batch answers %v, want ok then offline", answers)
	}
	if g, _ := json.Marshal(answers[0]["groups"]); string(g) != `{"offline":[],"online":["race"]}` {
		t.Errorf("batch item's groups: %s", g)
	}
	for j, c := range pages {
		clustertest.ReceiveOnce(t, c, fmt.Sprintf("page r%d, batch", j), "batched")
	}

	clustertest.WantAnswer(t, nodes[2].API, "type=leave&group=race&uid=r0", "ok") // r0's page is on n0
	clustertest.WantAnswer(t, nodes[1].API, "type=count&group=race", fmt.Sprintf(`{"uids":%d,"pages":%d}`, n-1, n-1))
	clustertest.WantAnswer(t, nodes[0].API, "type=publish&group=race&content=after+leave", "ok")
	for j, c := range pages[1:] {
		clustertest.ReceiveOnce(t, c, fmt.Sprintf("page r%d after the leave", j+1), "after leave")
	}
	if err := pages[0].None(server.EventNewMsg, 300*time.Millisecond); err != nil {
		t.Errorf("the page of the uid that left: %v", err)
	}

	clustertest.WantAnswer(t, nodes[1].API, "type=ungroup&group=race", "ok")
	clustertest.WantAnswer(t, nodes[2].API, "type=publish&group=race&content=after+ungroup", "offline")
	for j, c := range pages {
		if err := c.None(server.EventNewMsg, 100*time.Millisecond); err != nil {
			t.Errorf("page r%d after the ungroup: %v", j, err)
		}
	}
	clustertest.WantAnswer(t, nodes[0].API, "type=online&group=race", "offline")
}

// postBatch posts a batch to the API at apiURL and returns its answers.
func postBatch(t *testing.T, apiURL, body string) []map[string]any {
	t.Helper()
	resp, err := http.Post(apiURL+"/", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answers []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&answers); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("batch: %d %v", resp.StatusCode, err)
	}
	return answers
}
