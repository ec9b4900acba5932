package steps

import (
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// checkExcludeValues refuses a literal exclude entry that can never match
// a combination of the literal axes: one that names no axis ({}), or
// gives an axis a value the axis does not have (exclude {os: macos} for
// os: [linux, darwin]). The matrix ran every combination without a word,
// the one meant to be left out among them. Exclude is applied before
// include, so only the axes' own values can match.
func (l *loader) checkExcludeValues(n *yaml.Node, m *Matrix) {
	if n = yamlx.Deref(n); n == nil || n.Kind != yaml.SequenceNode || m.Exclude == nil || m.Exclude.Dynamic() || len(m.Axes) == 0 {
		return
	}
	axes := map[string][]any{}
	for _, a := range m.Axes {
		if a.Values != nil && !a.Values.Dynamic() {
			axes[a.Name], _ = a.Values.Lit.([]any)
		}
	}
	entries, _ := m.Exclude.Lit.([]any)
	for i, c := range n.Content {
		if i >= len(entries) {
			break
		}
		e, ok := entries[i].(map[string]any)
		if !ok {
			continue
		}
		if len(e) == 0 {
			l.d.Add(yamlx.PosOf(yamlx.Deref(c)), "this exclude entry names no axis, so it leaves out nothing; give the values of the combinations to leave out, like {%s: %v}", m.Axes[0].Name, firstValue(axes[m.Axes[0].Name]))
			continue
		}
		pairs, _ := yamlx.Pairs(c, "", &yamlx.Diags{})
		for _, p := range pairs {
			values, ok := axes[p.Key]
			if !ok || hasData(values, e[p.Key]) {
				continue
			}
			l.d.Add(yamlx.PosOf(yamlx.Deref(p.V)), "exclude gives %s the value %s, which axis %s does not have (%s), so the entry never matches; write one of the axis's values",
				p.Key, yamlx.Truncate(jsonText(e[p.Key]), 80), p.Key, yamlx.Truncate(jsonText(values), 200))
		}
	}
}

// hasData reports whether values holds v, compared as data (2 is 2.0).
func hasData(values []any, v any) bool {
	k, ok := dataKey(v)
	if !ok {
		return false
	}
	for _, x := range values {
		if xk, ok := dataKey(x); ok && xk == k {
			return true
		}
	}
	return false
}

func jsonText(v any) string {
	s, _ := dataKey(v)
	return s
}

func firstValue(values []any) string {
	if len(values) == 0 {
		return "..."
	}
	return jsonText(values[0])
}
