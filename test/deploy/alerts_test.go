package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// rules is what the checks read of deploy/prometheus/alerts.yaml.
type rules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

var alertsFile = deployFile("prometheus", "alerts.yaml")

// TestAlertRulesCheck: promtool accepts the alerting rules.
func TestAlertRulesCheck(t *testing.T) {
	t.Parallel()
	out := promtool(t, "check", "rules", alertsFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules: %s", out)
	}
}

// TestAlertRulesFire: promtool's unit tests of the rules pass
// (testdata/alerts_test.yaml: each alert fires on what it is about, with
// its text, and not while pushio is healthy).
func TestAlertRulesFire(t *testing.T) {
	t.Parallel()
	out := promtool(t, "test", "rules", filepath.Join("testdata", "alerts_test.yaml"))
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules: %s", out)
	}
}

// TestAlertRulesSeries: every series an alert selects is one pushio
// exports (up aside), with its labels and values; each alert has a
// severity, a summary and a description, and promtool tests it.
func TestAlertRulesSeries(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var r rules
	if err := yaml.Unmarshal(raw, &r); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	tests, err := os.ReadFile(filepath.Join("testdata", "alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := exported(t)
	used := map[string]bool{}
	n := 0
	for _, g := range r.Groups {
		for _, rule := range g.Rules {
			n++
			if rule.Alert == "" {
				t.Errorf("group %s: a rule without an alert name (recording rules belong elsewhere): %q", g.Name, rule.Expr)
				continue
			}
			for _, err := range s.check(rule.Expr, used) {
				t.Errorf("%s: %v", rule.Alert, err)
			}
			if !slices.Contains([]string{"critical", "warning", "info"}, rule.Labels["severity"]) {
				t.Errorf("%s: severity %q, want critical, warning or info", rule.Alert, rule.Labels["severity"])
			}
			if rule.Annotations["summary"] == "" || rule.Annotations["description"] == "" {
				t.Errorf("%s: annotations %v, want a summary and a description", rule.Alert, rule.Annotations)
			}
			if !strings.Contains(string(tests), "alertname: "+rule.Alert+"\n") {
				t.Errorf("%s: no test of it in testdata/alerts_test.yaml", rule.Alert)
			}
		}
	}
	if n == 0 {
		t.Fatal("alerts.yaml has no rule")
	}
	for _, name := range []string{"up", "pushio_redis_errors_total", "pushio_publishes_total", "pushio_slow_client_drops_total",
		"pushio_login_refusals_total", "pushio_fanout_duration_seconds_bucket"} {
		if !used[name] {
			t.Errorf("no alert watches %s", name)
		}
	}
}
