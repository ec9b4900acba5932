package ops

import "encoding/json"

// WholeNumber returns v as an int when it is a whole number as YAML, JSON
// or a report read back gives one: an int, an int64, a float64 without a
// fraction or a json.Number written as an integer. Parameters that take a
// list of numbers (exit codes, limits) and outputs read back (a pid) go
// through it, so that each accepts a number whichever way it arrived.
func WholeNumber(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		if n == float64(int(n)) {
			return int(n), true
		}
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return int(i), true
		}
	}
	return 0, false
}
