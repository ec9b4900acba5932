package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// TestValidateDecisionsAlignLongStepIDs: a step id longer than the old
// fixed column (a step of a sub-playbook is "parent/sub") keeps the
// operations of every row in one column.
func TestValidateDecisionsAlignLongStepIDs(t *testing.T) {
	playbookDir(t, map[string]string{"long.yaml": `version: 1
name: long
steps:
  - id: collect_diagnostics_from_all_database_replicas
    op: control.log
    with: {message: hi}
  - id: short
    op: control.assert
    with: {that: true}
`})
	r := runEnv(t, nil, "validate", "--role", "viewer", "long.yaml")
	r.want(t, ExitOK, nil, nil)
	var cols []int
	for _, l := range strings.Split(r.stdout, "\n") {
		if i := strings.Index(l, "control."); i >= 0 {
			cols = append(cols, i)
		}
	}
	if len(cols) != 2 || cols[0] != cols[1] {
		t.Errorf("operations not in one column %v:\n%s", cols, r.stdout)
	}
}

// TestDecisionsWrapToTheTerminal: on a terminal a long rule wraps at
// spaces under itself; piped, every step is one line.
func TestDecisionsWrapToTheTerminal(t *testing.T) {
	ds := []auth.StepDecision{
		{Step: "restart", Op: "process.signal", Risk: "destructive", Decision: auth.Decision{Rule: "no rule of role operator allows process.signal (risk destructive)"}},
		{Step: "find", Op: "process.list", Risk: "read", Decision: auth.Decision{Allowed: true, Rule: "role operator: max_risk write", Via: "direct"}},
	}
	write := func(width int) string {
		var b bytes.Buffer
		writeDecisions(&b, palette{}, width, ds)
		return b.String()
	}
	wrapped := `  DENIED   restart  process.signal  destructive  no rule of role operator allows
                                                 process.signal (risk
                                                 destructive)
  allowed  find     process.list    read         role operator: max_risk write
`
	if diff := cmp.Diff(wrapped, write(80)); diff != "" {
		t.Errorf("at 80 columns (-want +got):\n%s", diff)
	}
	whole := `  DENIED   restart  process.signal  destructive  no rule of role operator allows process.signal (risk destructive)
  allowed  find     process.list    read         role operator: max_risk write
`
	if diff := cmp.Diff(whole, write(0)); diff != "" {
		t.Errorf("without a width (-want +got):\n%s", diff)
	}
}
