package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	lines := func(rs ...*result) *bytes.Buffer {
		var b bytes.Buffer
		for _, r := range rs {
			j, _ := json.Marshal(r)
			b.Write(append(j, '\n'))
		}
		return &b
	}
	mem := func(label string, kb float64) *result {
		return &result{Label: label, Clients: 100, Connect: connectResult{OK: 100},
			Server: &serverResult{Samples: []serverSample{{Step: 50, RSSPerConnKB: kb}, {Step: 100, RSSPerConnKB: kb, IdleS: 1, IdleCPUPct: 2}}}}
	}
	pub := func(label string, rps float64) *result {
		return &result{Label: label, Clients: 50, Connect: connectResult{OK: 50},
			Broadcast: &broadcastResult{LastP99Ms: rps / 1000},
			Targeted:  &targetedResult{ReqPerS: rps, DeliveredPerS: rps}}
	}
	in := lines(
		mem(labelPushio, 10), mem(labelPushio, 12), mem(labelPushio, 30), // median 12
		mem(labelNode, 30), mem(labelNode, 20), // median 25
		pub(labelPushio, 60000), pub(labelNode, 20000), pub(labelCluster, 21000),
	)
	var out bytes.Buffer
	if err := report(in, &out); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	for _, want := range []string{
		"| memory per idle logged-in connection, 100 clients (KB) | 12.0 | 25.0 | 0.48 | ≤ 16 KB; 2× better than Node | yes |",
		"| CPU while idle, heartbeats included, 100 clients (% of one core) | 2.0 | 2.0 | 1.00 | 2× better than Node | **no** |",
		"| targeted publish: requests/s, 50 clients | 60,000 | 20,000 | 3.00 | ≥ 50,000/s; 2× better than Node | yes |",
		"| broadcast: last client, p99 over the broadcasts, 50 clients (ms) | 60.0 | 20.0 | 3.00 | ≤ 100 ms; 2× better than Node | **no** |",
		"| 2-node cluster: targeted publish: requests/s, 50 clients | 21,000 | — | — | ≥ 20,000/s | yes |",
		"Medians over runs (pushio: 4, Node: 3, cluster: 1 result lines).",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if regexp.MustCompile(`clients[^|]* \| — \| — \|`).MatchString(table) {
		t.Errorf("a row measured by neither:\n%s", table)
	}
	if err := report(strings.NewReader("\n"), &out); err == nil {
		t.Error("an empty input made a table")
	}
}

func TestThousands(t *testing.T) {
	for _, tc := range []struct {
		v      float64
		digits int
		want   string
	}{
		{0, 0, "0"}, {999, 0, "999"}, {1000, 0, "1,000"}, {1234567.891, 1, "1,234,567.9"},
		{-45800, 0, "-45,800"}, {12.345, 2, "12.35"},
	} {
		if got := thousands(tc.v, tc.digits); got != tc.want {
			t.Errorf("thousands(%v, %d) = %q, want %q", tc.v, tc.digits, got, tc.want)
		}
	}
}

func TestMergeTargeted(t *testing.T) {
	// A publisher whose targets are another process's clients, and that
	// process, which only received.
	publisher := &result{Scenario: "targeted", Clients: 0, Connect: connectResult{Hist: &hist{}},
		Targeted: &targetedResult{Requests: 1000, OK: 990, Offline: 10, DurationS: 2, APIHist: &hist{}, LatHist: &hist{}}}
	receiver := &result{Scenario: "hold", Clients: 100, Connect: connectResult{OK: 100, Hist: &hist{}},
		Targeted: &targetedResult{Delivered: 990, APIHist: &hist{}, LatHist: &hist{}}}
	m := &result{}
	m.merge(publisher)
	m.merge(receiver)
	m.derive()
	tg := m.Targeted
	if m.Scenario != "targeted,hold" || m.Clients != 100 || tg.Requests != 1000 || tg.Delivered != 990 ||
		tg.Lost != 0 || tg.ReqPerS != 500 {
		t.Errorf("merged: scenario %q, clients %d, targeted %+v", m.Scenario, m.Clients, tg)
	}
}
