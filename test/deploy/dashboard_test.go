package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// dashboard is what the checks read of deploy/grafana/pushio.json.
type dashboard struct {
	Inputs     []input `json:"__inputs"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string     `json:"name"`
			Datasource datasource `json:"datasource"`
			Query      struct {
				Query string `json:"query"`
			} `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type input struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	PluginID string `json:"pluginId"`
}

type panel struct {
	ID         int        `json:"id"`
	Type       string     `json:"type"`
	Title      string     `json:"title"`
	Datasource datasource `json:"datasource"`
	GridPos    struct{ X, W int }
	Targets    []struct {
		Expr       string     `json:"expr"`
		Datasource datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // of a collapsed row
}

type datasource struct{ Type, UID string }

const dsInput = "${DS_PROMETHEUS}"

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(deployFile("grafana", "pushio.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("pushio.json: %v", err)
	}
	return d
}

// queries are the dashboard's PromQL expressions, each with where it is:
// the panels' targets and the variables' label_values selectors.
func (d dashboard) queries(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for i, tg := range p.Targets {
				out[fmt.Sprintf("panel %q target %d", p.Title, i)] = tg.Expr
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)
	for _, v := range d.Templating.List {
		m := labelValues.FindStringSubmatch(v.Query.Query)
		if m == nil {
			t.Errorf("variable %s: query %q, want label_values(selector, label)", v.Name, v.Query.Query)
			continue
		}
		out["variable "+v.Name] = m[1]
	}
	return out
}

// TestDashboardSeries: every series the dashboard selects is one pushio
// exports, with its labels and values, and every pushio_ series is on it
// (a new metric needs a panel).
func TestDashboardSeries(t *testing.T) {
	t.Parallel()
	s := exported(t)
	used := map[string]bool{}
	for where, expr := range readDashboard(t).queries(t) {
		for _, err := range s.check(expr, used) {
			t.Errorf("%s: %s: %v", where, expr, err)
		}
	}
	for name := range s {
		base := strings.TrimSuffix(strings.TrimSuffix(name, "_sum"), "_count")
		if strings.HasPrefix(name, "pushio_") && !used[name] && !used[base+"_bucket"] {
			t.Errorf("%s is on no panel of deploy/grafana/pushio.json", name)
		}
	}
}

// TestDashboardShape: the dashboard imports with a Prometheus data source
// chosen for ${DS_PROMETHEUS}, which every panel and query uses; every
// panel has a query; ids are unique and panels fit the 24-column grid.
func TestDashboardShape(t *testing.T) {
	t.Parallel()
	d := readDashboard(t)
	if !slices.ContainsFunc(d.Inputs, func(in input) bool {
		return in.Name == "DS_PROMETHEUS" && in.Type == "datasource" && in.PluginID == "prometheus"
	}) {
		t.Errorf("__inputs = %+v, want DS_PROMETHEUS, a prometheus datasource", d.Inputs)
	}
	ids := map[int]bool{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("panel %q: id %d used twice", p.Title, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("panel %q: x %d, width %d: outside the 24 columns", p.Title, p.GridPos.X, p.GridPos.W)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource.UID != dsInput || len(p.Targets) == 0 {
				t.Errorf("panel %q: datasource %+v, %d targets; want %s and a query", p.Title, p.Datasource, len(p.Targets), dsInput)
			}
			for _, tg := range p.Targets {
				if tg.Datasource.UID != dsInput || strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("panel %q: a target with datasource %+v and expr %q", p.Title, tg.Datasource, tg.Expr)
				}
			}
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Datasource.UID != dsInput {
			t.Errorf("variable %s: datasource %+v, want %s", v.Name, v.Datasource, dsInput)
		}
	}
}

// TestDashboardPromQL: promtool parses every query of the dashboard, with
// Grafana's interval variables given a value, as recording rules.
func TestDashboardPromQL(t *testing.T) {
	t.Parallel()
	intervals := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for _, expr := range readDashboard(t).queries(t) {
		rules = append(rules, rule{fmt.Sprintf("dashboard:query_%d", len(rules)), intervals.Replace(expr)})
	}
	file := map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}}
	raw, err := yaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out := promtool(t, "check", "rules", path)
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(rules)); !strings.Contains(out, want) {
		t.Errorf("promtool check rules: %s, want %q", out, want)
	}
}
