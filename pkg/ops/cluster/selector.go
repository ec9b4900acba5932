package cluster

import (
	"fmt"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// checkSelector refuses a selector value that no label can equal: labels
// are strings, numbers or bools, matched by their text, so a list (meant
// as "any of") or a null would silently match nothing.
func checkSelector(p ops.Params) error {
	sel := p.Map("selector")
	for _, k := range sortedKeys(sel) {
		v := sel[k]
		if v == ops.Deferred {
			continue
		}
		switch v.(type) {
		case string, int, int64, uint64, float64, bool:
		default:
			return &ops.ParamError{Param: "selector", Msg: fmt.Sprintf(
				"label %q: want a string, number or bool, got %s; a selector matches one value per label "+
					"(for several values, give those nodes a label of their own, or run one step per value)",
				k, ops.TypeName(v))}
		}
	}
	return nil
}

// selectNodes keeps the nodes carrying every label of sel.
func selectNodes(nodes []Node, sel map[string]any) []Node {
	if len(sel) == 0 {
		return nodes
	}
	var out []Node
	for _, n := range nodes {
		ok := true
		for k, v := range sel {
			if n.Labels[k] != fmt.Sprint(v) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, n)
		}
	}
	return out
}

// maxShownLabels bounds the labels a selector's error lists.
const maxShownLabels = 20

// noMatch describes a selector that matched none of nodes: the selector
// as key=value, and the labels the nodes do carry, with how many carry
// each, so that a typo or a wrong value shows at once.
func noMatch(nodes []Node, sel map[string]any) string {
	want := make([]string, 0, len(sel))
	for _, k := range sortedKeys(sel) {
		want = append(want, fmt.Sprintf("%s=%v", k, sel[k]))
	}
	count := map[string]int{}
	for _, n := range nodes {
		for k, v := range n.Labels {
			count[k+"="+v]++
		}
	}
	have := sortedKeys(count)
	shown := make([]string, 0, min(len(have), maxShownLabels))
	for _, l := range have[:min(len(have), maxShownLabels)] {
		if c := count[l]; c > 1 {
			l += fmt.Sprintf(" (%d nodes)", c)
		}
		shown = append(shown, l)
	}
	labels := "none"
	if len(shown) > 0 {
		labels = strings.Join(shown, ", ")
		if more := len(have) - len(shown); more > 0 {
			labels += fmt.Sprintf(" and %d more", more)
		}
	}
	return fmt.Sprintf("no node of %d has %s; the nodes' labels: %s; fix the selector or the nodes' labels",
		len(nodes), strings.Join(want, " and "), labels)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
