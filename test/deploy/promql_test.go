package deploy

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// selector is one series selector of a PromQL expression: a metric name
// and the label matchers in its braces.
type selector struct {
	name     string
	matchers []matcher
}

type matcher struct{ label, op, value string }

// PromQL's words that are not metric names: aggregations, binary and
// set operators, modifiers, and number literals.
var keywords = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
	"and": true, "or": true, "unless": true, "atan2": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"offset": true, "bool": true, "inf": true, "nan": true,
}

// labelLists are the keywords whose parenthesised list names labels.
var labelLists = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

// query is what the checks read of a PromQL expression: its series
// selectors, and the labels its by, without, on, ignoring, group_left and
// group_right lists name.
type query struct {
	selectors []selector
	grouping  []string
}

// parse reads expr without a PromQL parser: an identifier is a metric
// name unless it is a keyword, a function (an identifier followed by "("),
// or inside a string, a label list, braces or brackets. Grafana's
// $variables are skipped. It errs on the side of reporting: a word it
// does not know is a name for the caller to check.
func parse(expr string) (query, error) {
	var q query
	out := &q.selectors
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(expr, i)
			if err != nil {
				return q, err
			}
			i = end
		case c == '{':
			// A selector without a name before its braces: {__name__="x"}.
			ms, end, err := readMatchers(expr, i)
			if err != nil {
				return q, err
			}
			*out = append(*out, selector{matchers: ms})
			i = end
		case c == '[':
			end := strings.IndexByte(expr[i:], ']')
			if end < 0 {
				return q, fmt.Errorf("unclosed [ at %d", i)
			}
			i += end + 1
		case c == '$':
			i = skipVariable(expr, i)
		case c == '#':
			end := strings.IndexByte(expr[i:], '\n')
			if end < 0 {
				return q, nil
			}
			i += end
		case isDigit(c):
			for i < len(expr) && (isWord(expr[i]) || expr[i] == '.') {
				i++ // 5m, 0.99, 1e3, 0x1f
			}
		case isWordStart(c):
			j := i
			for j < len(expr) && isWord(expr[j]) {
				j++
			}
			word := expr[i:j]
			next := skipSpace(expr, j)
			followedByParen := next < len(expr) && expr[next] == '('
			switch lower := strings.ToLower(word); {
			case labelLists[lower] && followedByParen:
				end := strings.IndexByte(expr[next:], ')')
				if end < 0 {
					return q, fmt.Errorf("unclosed label list after %s", word)
				}
				for _, label := range strings.Split(expr[next+1:next+end], ",") {
					if label = strings.TrimSpace(label); label != "" {
						q.grouping = append(q.grouping, label)
					}
				}
				j = next + end + 1
			case keywords[lower], followedByParen:
			default:
				sel := selector{name: word}
				if next < len(expr) && expr[next] == '{' {
					ms, end, err := readMatchers(expr, next)
					if err != nil {
						return q, err
					}
					sel.matchers, j = ms, end
				}
				*out = append(*out, sel)
			}
			i = j
		default:
			i++
		}
	}
	return q, nil
}

// readMatchers reads the label matchers of the braces at expr[i] and
// returns them and the index after the closing brace.
func readMatchers(expr string, i int) ([]matcher, int, error) {
	var ms []matcher
	i++ // {
	for {
		i = skipSpace(expr, i)
		if i < len(expr) && expr[i] == ',' {
			i = skipSpace(expr, i+1)
		}
		if i >= len(expr) {
			return nil, 0, fmt.Errorf("unclosed {")
		}
		if expr[i] == '}' {
			return ms, i + 1, nil
		}
		j := i
		for j < len(expr) && isWord(expr[j]) {
			j++
		}
		label := expr[i:j]
		j = skipSpace(expr, j)
		k := j
		for k < len(expr) && strings.IndexByte("=!~", expr[k]) >= 0 {
			k++
		}
		op := expr[j:k]
		k = skipSpace(expr, k)
		if label == "" || op == "" || k >= len(expr) || strings.IndexByte("\"'`", expr[k]) < 0 {
			return nil, 0, fmt.Errorf("bad label matcher at %d: %q", i, expr[i:])
		}
		end, err := skipString(expr, k)
		if err != nil {
			return nil, 0, err
		}
		ms = append(ms, matcher{label, op, unquote(expr[k:end])})
		i = end
	}
}

// skipString returns the index after the string literal at expr[i].
func skipString(expr string, i int) (int, error) {
	quote := expr[i]
	for j := i + 1; j < len(expr); j++ {
		switch {
		case expr[j] == '\\' && quote != '`':
			j++
		case expr[j] == quote:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unclosed string at %d", i)
}

// unquote drops a literal's quotes; the values checked have no escapes.
func unquote(s string) string { return s[1 : len(s)-1] }

// skipVariable returns the index after Grafana's $name or ${name}.
func skipVariable(expr string, i int) int {
	i++
	if i < len(expr) && expr[i] == '{' {
		if end := strings.IndexByte(expr[i:], '}'); end >= 0 {
			return i + end + 1
		}
		return len(expr)
	}
	for i < len(expr) && isWord(expr[i]) {
		i++
	}
	return i
}

func skipSpace(s string, i int) int {
	for i < len(s) && strings.IndexByte(" \t\r\n", s[i]) >= 0 {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isWordStart(c byte) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
func isWord(c byte) bool { return isWordStart(c) || isDigit(c) }

func TestParse(t *testing.T) {
	t.Parallel()
	m := func(label, op, value string) matcher { return matcher{label, op, value} }
	tests := []struct {
		expr     string
		want     []selector
		grouping []string
	}{
		{`up`, []selector{{name: "up"}}, nil},
		{`up{job="pushio"} == 0`, []selector{{"up", []matcher{m("job", "=", "pushio")}}}, nil},
		{`sum by (le) (rate(a_bucket{x=~"$job", y!="}"}[$__rate_interval]))`,
			[]selector{{"a_bucket", []matcher{m("x", "=~", "$job"), m("y", "!=", "}")}}}, []string{"le"}},
		{`histogram_quantile(0.99, sum(rate(h_bucket[5m])) by (instance, le)) > 0.25`, []selector{{name: "h_bucket"}}, []string{"instance", "le"}},
		{"sum without(op) (a:rec) / on (instance) group_left(version) b offset 5m",
			[]selector{{name: "a:rec"}, {name: "b"}}, []string{"op", "instance", "version"}},
		{"a\n  /\nignoring(result) SUM(b) and bool c # a comment naming d\n > 1e3",
			[]selector{{name: "a"}, {name: "b"}, {name: "c"}}, []string{"result"}},
		{`{__name__="x", job='y'}`, []selector{{matchers: []matcher{m("__name__", "=", "x"), m("job", "=", "y")}}}, nil},
		{`label_values(pushio_build_info{job=~"$job"}, instance)`,
			[]selector{{"pushio_build_info", []matcher{m("job", "=~", "$job")}}, {name: "instance"}}, nil},
		{`max(x) > Inf or vector(0)`, []selector{{name: "x"}}, nil},
	}
	for _, tt := range tests {
		got, err := parse(tt.expr)
		if err != nil {
			t.Errorf("parse(%q): %v", tt.expr, err)
			continue
		}
		if !reflect.DeepEqual(got.selectors, tt.want) || !reflect.DeepEqual(got.grouping, tt.grouping) {
			t.Errorf("parse(%q) = %+v, want %+v, grouping %q", tt.expr, got, tt.want, tt.grouping)
		}
	}
	for _, bad := range []string{`a{job="x}`, `a{job}`, `rate(a[5m)`, `sum by (le`} {
		if got, err := parse(bad); err == nil {
			t.Errorf("parse(%q) = %+v, want an error", bad, got)
		}
	}
}
