package ops

import (
	"fmt"
	"strings"
)

// FlowList shows a list of scalars in a message as a playbook writes it in
// YAML, like [0, 1]: fmt's %v would show Go's [0 1], which reads as one
// value to someone who wrote ok_codes: [0, 1].
func FlowList[T any](vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
