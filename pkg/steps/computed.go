package steps

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// computed reports, and says at n, that a setting read when the playbook
// loads (how many items or steps run at once, fail_fast) was written as
// ${{ }}, as GitHub Actions lets strategy.max-parallel be: "must be an
// integer, not a string" does not tell that it cannot be computed.
// write is what to write instead.
func (l *loader) computed(n *yaml.Node, what, write string) bool {
	n = yamlx.Deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || !strings.Contains(n.Value, "${{") {
		return false
	}
	l.d.Add(yamlx.PosOf(n), "%s is read when the playbook loads and cannot be computed with ${{ }}; write %s", what, write)
	return true
}

// literalInt reads the integer setting n, within [lo, hi], refusing a
// ${{ }} with what to write instead.
func (l *loader) literalInt(n *yaml.Node, what string, lo, hi int, write string) (int, bool) {
	if l.computed(n, what, write) {
		return 0, false
	}
	return yamlx.Int(n, what, lo, hi, l.d)
}
