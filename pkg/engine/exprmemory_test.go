package engine

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// fanOutOver loads a playbook whose step b fans out over 1..inputs.n and
// returns a run of it and the step, to compute the items without running
// them.
func fanOutOver(t *testing.T) (*run, *steps.Step) {
	t.Helper()
	p := plan(t, New(registry(t)), `version: 1
name: l
inputs: {n: {type: integer, default: 1}}
steps:
  - {id: b, op: control.noop, foreach: "1..inputs.n", concurrency: 64}
`)
	return &run{p: p, file: filepath.Base(p.pb.File)}, p.pb.Step("b")
}

func TestForeachRangeOfMaxForeachItems(t *testing.T) {
	r, s := fanOutOver(t)
	list, err := r.items(s, map[string]any{steps.EnvInputs: map[string]any{"n": steps.MaxForeachItems}})
	if err != nil {
		t.Fatalf("foreach over 1..%d: %v", steps.MaxForeachItems, err)
	}
	if len(list) != steps.MaxForeachItems || list[len(list)-1] != steps.MaxForeachItems {
		t.Errorf("foreach over 1..%d gave %d items, the last %v", steps.MaxForeachItems, len(list), list[len(list)-1])
	}
}

func TestExprMemoryLimitNamed(t *testing.T) {
	r, s := fanOutOver(t)
	_, err := r.items(s, map[string]any{steps.EnvInputs: map[string]any{"n": steps.MaxExprMemory + 1}})
	if err == nil {
		t.Fatalf("foreach over 1..%d: no error", steps.MaxExprMemory+1)
	}
	want := fmt.Sprintf("pb.yaml:5:41: expression `1..inputs.n` built more than %d items, over the limit of one evaluation's memory"+
		` (see "Limits" in docs/playbooks.md); use a smaller range or list, or split the work across steps`, steps.MaxExprMemory)
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
}

// TestForeachItemsLimitNamed: a list over MaxForeachItems that the
// expression only reads (an input) is refused at the foreach, naming it.
func TestForeachItemsLimitNamed(t *testing.T) {
	p := plan(t, New(registry(t)), `version: 1
name: l
inputs: {xs: {type: list}}
steps:
  - {id: b, op: control.noop, foreach: "inputs.xs"}
`)
	r := &run{p: p, file: filepath.Base(p.pb.File)}
	_, err := r.items(p.pb.Step("b"), map[string]any{steps.EnvInputs: map[string]any{"xs": make([]any, steps.MaxForeachItems+1)}})
	want := fmt.Sprintf("pb.yaml:5:41: foreach gave %d items, over the limit of %d; split the list across steps, or run the work in batches", steps.MaxForeachItems+1, steps.MaxForeachItems)
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
