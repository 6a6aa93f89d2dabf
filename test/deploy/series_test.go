package deploy

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/test/metricstest"
)

// series are the series names Prometheus stores from pushio's /metrics:
// by name, each label's exported values (nil: any).
type series map[string]map[string]map[string]bool

// targetLabels are the labels Prometheus adds to every scraped series.
var targetLabels = []string{"job", "instance"}

// exported gathers pushio's registry in-process. A histogram is stored as
// its _bucket (with le), _sum and _count series, a summary as its
// quantiles, _sum and _count; up is the series Prometheus adds to every
// scrape.
func exported(t *testing.T) series {
	t.Helper()
	out := series{"up": {}}
	add := func(name string, m *dto.Metric, extra ...string) {
		labels := out[name]
		if labels == nil {
			labels = map[string]map[string]bool{}
			out[name] = labels
		}
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] == nil {
				labels[l.GetName()] = map[string]bool{}
			}
			labels[l.GetName()][l.GetValue()] = true
		}
		for _, name := range extra {
			labels[name] = nil // a value of every bucket or quantile: not checked
		}
	}
	for name, fam := range metricstest.Scrape(t, metrics.New("test").Handler()) {
		for _, m := range fam.GetMetric() {
			switch fam.GetType() {
			case dto.MetricType_HISTOGRAM:
				add(name+"_bucket", m, "le")
				add(name+"_sum", m)
				add(name+"_count", m)
			case dto.MetricType_SUMMARY:
				add(name, m, "quantile")
				add(name+"_sum", m)
				add(name+"_count", m)
			default:
				add(name, m)
			}
		}
	}
	return out
}

// check returns what is wrong with expr: a series pushio does not export,
// a label it does not have, a value no series of it has (for = and for =~
// without Grafana variables), or a label grouped by that none of the
// series selected has. It adds the names selected to used.
func (s series) check(expr string, used map[string]bool) []error {
	q, err := parse(expr)
	if err != nil {
		return []error{err}
	}
	var errs []error
	grouped := map[string]bool{}
	for _, label := range targetLabels {
		grouped[label] = true
	}
	for _, sel := range q.selectors {
		name := sel.name
		for _, m := range sel.matchers {
			if m.label == "__name__" && m.op == "=" {
				name = m.value
			}
		}
		labels, ok := s[name]
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("a selector without a metric name cannot be checked: %+v", sel.matchers))
			continue
		case !ok:
			errs = append(errs, fmt.Errorf("%s is not a series pushio exports", name))
			continue
		}
		used[name] = true
		for label := range labels {
			grouped[label] = true
		}
		for _, m := range sel.matchers {
			if m.label == "__name__" || slices.Contains(targetLabels, m.label) {
				continue
			}
			values, ok := labels[m.label]
			if !ok {
				errs = append(errs, fmt.Errorf("%s has no label %s (it has %v)", name, m.label, slices.Sorted(maps.Keys(labels))))
				continue
			}
			if err := matchesSome(m, values); err != nil {
				errs = append(errs, fmt.Errorf("%s{%s%s%q}: %w", name, m.label, m.op, m.value, err))
			}
		}
	}
	for _, label := range q.grouping {
		if !grouped[label] {
			errs = append(errs, fmt.Errorf("grouped by %s, a label of none of the series selected", label))
		}
	}
	return errs
}

// matchesSome checks that an = or =~ matcher selects one of values; nil
// values are not checked.
func matchesSome(m matcher, values map[string]bool) error {
	if values == nil {
		return nil
	}
	known := slices.Sorted(maps.Keys(values))
	switch {
	case m.op == "=" && !values[m.value]:
		return fmt.Errorf("no series has this value (pushio exports %q)", known)
	case m.op == "=~" && !strings.Contains(m.value, "$"):
		re, err := regexp.Compile("^(?:" + m.value + ")$")
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(known, re.MatchString) {
			return fmt.Errorf("matches no value pushio exports (%q)", known)
		}
	}
	return nil
}

// TestSeriesCheck: the check refuses what would select nothing.
func TestSeriesCheck(t *testing.T) {
	t.Parallel()
	s := exported(t)
	for _, name := range []string{"pushio_publishes_total", "pushio_fanout_duration_seconds_bucket", "pushio_online_pages", "process_open_fds", "up"} {
		if s[name] == nil {
			t.Errorf("%s is not among the exported series", name)
		}
	}
	tests := []struct {
		expr string
		ok   bool
	}{
		{`sum by (result) (rate(pushio_publishes_total{job="pushio", result="fail"}[5m]))`, true},
		{`histogram_quantile(0.99, sum by (le) (rate(pushio_fanout_duration_seconds_bucket{le="+Inf"}[5m])))`, true},
		{`pushio_connection_refusals_total{reason=~"max_connections|connection_rate", instance=~"$instance"}`, true},
		{`up{job="pushio"} == 0`, true},
		{`rate(pushio_publishes_total{result="failed"}[5m])`, false},
		{`rate(pushio_publishes_total{reason="fail"}[5m])`, false},
		{`pushio_connection_refusals_total{reason=~"max_conn"}`, false},
		{`rate(pushio_publish_total[5m])`, false},
		{`pushio_fanout_duration_seconds{quantile="0.99"}`, false},
		{`{__name__=~"pushio_.+"}`, false},
		{`rate(pushio_redis_errors_total{op="publish"}[1m]) > 0`, true},
		{`sum by (job, instance, op) (rate(pushio_redis_errors_total[1m]))`, true},
		{`sum by (reslt) (rate(pushio_publishes_total[1m]))`, false},
		{`max by (version) (pushio_build_info) * on (instance) group_left(transport) pushio_connections`, true},
		{`sum by (le) (rate(pushio_fanout_duration_seconds_count[1m]))`, false},
	}
	for _, tt := range tests {
		errs := s.check(tt.expr, map[string]bool{})
		if ok := len(errs) == 0; ok != tt.ok {
			t.Errorf("check(%s) = %v, want ok %v", tt.expr, errs, tt.ok)
		}
	}
}
