package engine

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/arsenal-run/arsenal-run/internal/jsonx"
	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// itemLabels are the labels of the items of step s (itemLabel), but for
// a label two items would share, which neither has: two rows, JUnit
// cases or messages named alike tell nothing apart, where their indexes
// do (foreach: [ok, ok, ok] over a list of values, not of names).
func (r *run) itemLabels(s *steps.Step, list []any) []string {
	labels := make([]string, len(list))
	seen := make(map[string]int, len(list))
	for i, it := range list {
		labels[i] = r.itemLabel(s, it)
		if labels[i] != "" {
			seen[labels[i]]++
		}
	}
	for i, l := range labels {
		if seen[l] > 1 {
			labels[i] = ""
		}
	}
	return labels
}

// itemLabel names an item of step s for people: for a matrix, its values
// (matrixLabel); else the name of a host that inventory.hosts gave, or of
// any map item with a string name. The run's secrets are masked, then
// the label is cut to maxLabel bytes (on a character boundary). Masked
// before it is cut: a secret cut in two no longer matches, and its first
// part would show.
func (r *run) itemLabel(s *steps.Step, item any) string {
	if text, ok := item.(string); ok {
		// foreach: [web-1, web-2] names its items as Ansible's item=web-1
		// does; one with a line break or other control character would
		// break the rows it is shown in, and stays "item 3".
		text = termtext.Clean(text)
		if text == "" || hasControl(text) {
			return ""
		}
		return termtext.Head(r.red.String(text), maxLabel)
	}
	m, ok := item.(map[string]any)
	if !ok {
		return ""
	}
	var name string
	if s.Matrix != nil {
		name = r.matrixLabel(s.Matrix, m)
	} else {
		name, _ = m["name"].(string)
		// A host's name with an escape sequence reads as every report
		// shows it, without (termtext.Clean); one with a line break
		// or a tab has no label, as a string item with one.
		name = termtext.Clean(name)
		if hasControl(name) {
			return ""
		}
		name = r.red.String(name)
	}
	return termtext.Head(name, maxLabel)
}

// hasControl says whether s holds a line break or another control
// character, which would break the rows, log lines and errors a label is
// shown in.
func hasControl(s string) bool { return strings.ContainsFunc(s, unicode.IsControl) }

// matrixLabel names a matrix combination as GitHub Actions names a matrix
// job, by its values: those of the axes in the matrix's order, then those
// of the keys include added, by key name (a map loses the order include
// wrote them in), joined by ", ": "linux, 1.26, true". Without it an
// item was "item 3" and "test[3]", which sent a reader to count
// combinations. Each value is masked as data, then written as ${{ }}
// writes it (jsonx.Text), so a secret inside a list or map is masked
// before it becomes JSON text; null and "" show as such, not as nothing,
// and a string with a control character (a line break) quoted, escaped,
// as Go writes it: raw, it would break the rows the label is shown in.
func (r *run) matrixLabel(m *steps.Matrix, item map[string]any) string {
	parts := make([]string, 0, len(item))
	axis := make(map[string]bool, len(m.Axes))
	add := func(v any) {
		text := jsonx.Text(r.red.Value(v))
		switch {
		case v == nil:
			text = "null"
		case text == "":
			text = `""`
		case hasControl(text):
			text = strconv.Quote(text)
		}
		parts = append(parts, text)
	}
	for _, a := range m.Axes {
		axis[a.Name] = true
		if v, ok := item[a.Name]; ok {
			add(v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(item)) {
		if !axis[k] {
			add(item[k])
		}
	}
	return r.red.String(strings.Join(parts, ", "))
}

// maxLabel bounds an item's label in bytes.
const maxLabel = 200
