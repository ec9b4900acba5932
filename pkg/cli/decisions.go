package cli

import (
	"io"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// writeDecisions writes the verdict of each step, one row each, columns
// as wide as their longest cell (a step of a sub-playbook is
// "parent/sub"), a DENIED verdict in red; on a terminal of width columns
// a long rule wraps at spaces under itself.
func writeDecisions(w io.Writer, p palette, width int, ds []auth.StepDecision) {
	t := &table{header: []string{"VERDICT", "STEP", "OP", "RISK", "RULE"}, indent: "  ", bare: true}
	t.style = func(col int, cell string) string {
		if col == 0 && cell == "DENIED" {
			return p.red(cell)
		}
		return cell
	}
	for _, d := range ds {
		verdict := "allowed"
		if !d.Decision.Allowed {
			verdict = "DENIED"
		}
		rule := d.Decision.Rule
		if d.Decision.Via != "" && d.Decision.Via != "direct" {
			rule += " via " + d.Decision.Via
		}
		t.add(verdict, d.Step, d.Op, string(d.Risk), rule)
	}
	t.writeWidth(w, p, width)
}
