package config

import (
	"fmt"
	"sort"
	"strings"
)

// toolEnv are PUSHIO_ variables that are not configuration keys: pushio's
// own tests and benchmarks read them.
var toolEnv = map[string]bool{
	"PUSHIO_TEST_LOG":        true,
	"PUSHIO_E2E_LOG":         true,
	"PUSHIO_E2E_ARTIFACTS":   true,
	"PUSHIO_PROTOCOL_SUITES": true,
}

// UnknownEnv returns, sorted, the PUSHIO_ variables of environ (as
// os.Environ gives it) that set no key: a typo such as PUSHIO_IO_ADR is
// otherwise ignored without a word. Empty ones are left out, as viper
// ignores them too.
func UnknownEnv(environ []string) []string {
	known := make(map[string]bool, len(defaults()))
	for key := range defaults() {
		known[EnvName(key)] = true
	}
	var out []string
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix+"_") && value != "" && !known[name] && !toolEnv[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// EnvHint says what an unknown variable name may have meant: the
// variable of the closest key, when one is a typo away.
func EnvHint(name string) string {
	best, bestDist := "", 3
	for key := range defaults() {
		if d := distance(name, EnvName(key)); d < bestDist || (d == bestDist && EnvName(key) < best) {
			best, bestDist = EnvName(key), d
		}
	}
	if best == "" {
		return "not a configuration key (see config.yaml)"
	}
	return fmt.Sprintf("not a configuration key; did you mean %s?", best)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
