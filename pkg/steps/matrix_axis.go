package steps

import (
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// axisValues reads the literal list v of matrix axis name, and refuses a
// value it repeats (os: [linux, linux]), compared as data (2 is 2.0): the
// matrix would run each combination holding it twice, items that share
// every value and so a label, named by index. An axis is a set of values
// to cover, as GitHub Actions' matrix is; a repeat is a typo for another
// value, and running a deploy twice to one target is no way to find out.
// An axis computed when the step runs is not judged.
func (l *loader) axisValues(v *yaml.Node, sc scope, s *Step, name string) *Value {
	val := l.value(v, sc, s, -1, false)
	if val == nil || val.Dynamic() {
		return val
	}
	values, _ := val.Lit.([]any)
	first := map[string]int{}
	for i, c := range v.Content {
		if i >= len(values) {
			break
		}
		k, ok := dataKey(values[i])
		if !ok {
			continue
		}
		if j, seen := first[k]; seen {
			l.d.Add(yamlx.PosOf(yamlx.Deref(c)), "matrix axis %s repeats the value %s (its value %d too), which would run every combination holding it twice; remove the repeat or write the value meant",
				name, yamlx.Truncate(k, 80), j+1)
			continue
		}
		first[k] = i
	}
	return val
}
