// Package procenv turns an env parameter into the KEY=value list a child
// process gets; shell.exec and process.start share it.
package procenv

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// List returns the variables of m as KEY=value strings, sorted by key.
// Values may be strings, numbers, bools or null (an empty value); values
// still Deferred (at load time) are skipped. Names must be non-empty
// without = or NUL, and values without NUL.
func List(m map[string]any) ([]string, error) {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return nil, fmt.Errorf("%q is not a valid variable name (it must be non-empty, without = or NUL)", k)
		}
		var s string
		switch x := m[k].(type) {
		case string:
			s = x
		case bool:
			s = strconv.FormatBool(x)
		case int, int64, int32, uint64:
			s = fmt.Sprint(x)
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		case nil:
		default:
			if x == ops.Deferred {
				continue
			}
			return nil, fmt.Errorf("%s: want a string, number or bool, got %s", k, ops.TypeName(x))
		}
		if strings.IndexByte(s, 0) >= 0 {
			return nil, fmt.Errorf("%s: the value contains a NUL byte, which an environment variable cannot hold", k)
		}
		out = append(out, k+"="+s)
	}
	return out, nil
}
