package cluster

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/clustertest"
	"github.com/pushio/pushio/internal/test/eventually"
	"github.com/pushio/pushio/internal/test/redistest"
	"github.com/pushio/pushio/internal/test/siotest"
)

// TestGatewayAcrossInstances: with a page on each of 3 instances, a page
// is reached by its client id through another instance, its presence is
// known everywhere, a batch sent to one instance reaches pages on the
// others (excluding one, kicking one after its message), and a kick by
// uid disconnects a page elsewhere.
func TestGatewayAcrossInstances(t *testing.T) {
	redistest.Each(t, testGatewayAcrossInstances)
}

func testGatewayAcrossInstances(t *testing.T, d redistest.Deployment) {
	_, nodes := clustertest.StartClusterOn(t, d, 3, 15*time.Second)
	pages := make([]*siotest.Client, 3)
	ids := make([]string, 3)
	for i, n := range nodes {
		pages[i] = clustertest.Login(t, n.IO, fmt.Sprintf("u%d", i))
	}
	for i := range nodes {
		// Asked of the next instance: presence is cluster-wide.
		_, body := clustertest.Get(t, nodes[(i+1)%3].API, fmt.Sprintf("type=clients&uid=u%d", i))
		var list struct{ Clients []string }
		if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Clients) != 1 {
			t.Fatalf("type=clients&uid=u%d: %s", i, body)
		}
		ids[i] = list.Clients[0]
	}
	clustertest.WantAnswer(t, nodes[2].API, "type=online&client="+ids[1], "online")
	clustertest.WantAnswer(t, nodes[0].API, "type=online&client=no-such-page", "offline")

	// A JSON value under an event of its own, to the page on n2 via n0.
	clustertest.WantAnswer(t, nodes[0].API, "type=publish&event=order.paid&client="+ids[2]+"&json=%7B%22k%22%3A%5B1%2C%22x%22%5D%7D", "ok")
	e, err := pages[2].Next("order.paid", 5*time.Second)
	if err != nil || len(e.Args) != 1 || string(e.Args[0]) != `{"k":[1,"x"]}` {
		t.Fatalf("page on n2: order.paid %s (%v), want the object {\"k\":[1,\"x\"]}", e.Raw, err)
	}

	// A batch via n1: to the page on n0, to those on n1 and n2 but n1's,
	// an offline uid, a kick of the page on n2 after its logout, and a bad
	// item.
	batch := `[{"client":"` + ids[0] + `","content":"b0"},{"client":["` + ids[1] + `","` + ids[2] + `"],"exclude":"` + ids[1] +
		`","content":"b12"},{"to":"nobody","content":"x"},{"type":"kick","client":"` + ids[2] +
		`","event":"logout","content":"bye"},{"event":"login","content":"x"}]`
	resp, err := http.Post(nodes[1].API+"/", "application/json", strings.NewReader(batch))
	if err != nil {
		t.Fatal(err)
	}
	var answers []map[string]any
	err = json.NewDecoder(resp.Body).Decode(&answers)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || len(answers) != 5 {
		t.Fatalf("batch: %d %v %v", resp.StatusCode, answers, err)
	}
	for i, want := range []string{"ok", "ok", "offline", "ok", "fail"} {
		if answers[i]["result"] != want {
			t.Errorf("batch item %d: %v, want %s", i, answers[i], want)
		}
	}
	clustertest.ReceiveOnce(t, pages[0], "page on n0", "b0")
	clustertest.ReceiveOnce(t, pages[2], "page on n2", "b12")
	if e, err := pages[2].Next("logout", 5*time.Second); err != nil || e.Text(0) != "bye" {
		t.Fatalf("page on n2: logout %s (%v), want bye before the kick", e.Raw, err)
	}
	eventually.True(t, 5*time.Second, "page on n2 disconnected", func() bool { return !pages[2].Connected() })
	if err := pages[1].None("new_msg", 300*time.Millisecond); err != nil {
		t.Errorf("excluded page on n1: %v", err)
	}
	eventually.True(t, 5*time.Second, "kicked page offline", func() bool {
		_, body := clustertest.Get(t, nodes[0].API, "type=online&client="+ids[2])
		return body == "offline"
	})

	// A kick by uid via n2 of the page on n0.
	clustertest.WantAnswer(t, nodes[2].API, "type=kick&uid=u0", "ok")
	eventually.True(t, 5*time.Second, "page on n0 disconnected", func() bool { return !pages[0].Connected() })
	eventually.True(t, 5*time.Second, "u0 offline", func() bool {
		_, body := clustertest.Get(t, nodes[1].API, "type=kick&uid=u0")
		return body == "offline"
	})
	if !pages[1].Connected() {
		t.Error("the page on n1 was disconnected by kicks of others")
	}
}
