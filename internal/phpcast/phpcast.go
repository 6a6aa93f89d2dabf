// Package phpcast turns values into strings the way the original PHP
// server's (string) casts did, so uids and fields read the same in pushio.
package phpcast

import (
	"math"
	"strconv"
)

// Float prints f as PHP 8 casts a float to string for the values clients
// send: integral values without a fraction (100.0 → "100"), others in the
// shortest form that reads back the same (1.5 → "1.5"). NaN and infinities
// have no such form and are refused.
func Float(f float64) (string, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", false
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10), true
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}
