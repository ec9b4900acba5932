package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestValuesMadeOfSecretsBoundedWithSubRuns checks that the values made
// of secrets that sub-runs mask count toward the one bound of the run
// that called them: each sub-run kept a count of its own, and its caller
// learnt all it masked, so a fan-out of sub-playbooks masked
// MaxDerivedSecrets values for each item, every later masking paying for
// them all.
func TestValuesMadeOfSecretsBoundedWithSubRuns(t *testing.T) {
	masked := func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.masked", Risk: ops.RiskRead},
			ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
				return map[string]any{"n": len(ops.CallFrom(ctx).Secrets)}, nil
			}))
	}
	e := New(registry(t, masked))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "child.yaml"), []byte(`version: 1
name: child
inputs:
  tok: {type: string, secret: true}
  n: {type: integer}
steps:
  - {id: fan, op: control.set, foreach: '1..200', with: {v: "${{ string(inputs.n * 1000 + item) + '-' + upper(inputs.tok) }}"}}
`), 0o644)
	parent := filepath.Join(dir, "parent.yaml")
	os.WriteFile(parent, []byte(`version: 1
name: parent
inputs:
  tok: {type: string, secret: true, default: "ghp_Zq9xT7pW4mKe2-RtY8vB3nL6"}
steps:
  - {id: sub, op: playbook.run, foreach: '[1, 2, 3]', with: {path: child.yaml, inputs: {tok: "${{ inputs.tok }}", n: "${{ item }}"}}}
  - {id: count, op: test.masked}
`), 0o644)
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run: %s %+v", rep.Status, rep.Error)
	}
	out, _ := stepOf(t, rep, "count").Output.(map[string]any)
	n, _ := out["n"].(int)
	// The input and the values made of it, a few of its forms aside.
	if n == 0 || n > MaxDerivedSecrets+8 {
		t.Errorf("the run masks %d secrets after its sub-runs, want at most %d", n, MaxDerivedSecrets+8)
	}
}
