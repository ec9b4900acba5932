package engine

import (
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// chainLink is one playbook of a chain of playbook.run: the file with its
// symlinks resolved, which a cycle is found by, and its name in messages,
// as the step that ran it wrote it (the file as given for the first).
type chainLink struct{ real, name string }

// subChain returns the chain of the sub-run that step call of parent
// (nil outside a run) starts for the playbook at path, written as name:
// parent's chain and the sub-playbook. It refuses a playbook already in
// the chain, compared by real path as validate compares them, and a chain
// past MaxSubDepth, with an error located at the step's path: that says
// what to do, as validate says it.
func subChain(parent *run, call *ops.Call, path, name string) ([]chainLink, error) {
	if parent == nil {
		return nil, nil
	}
	chain := parent.o.chain
	if len(chain) == 0 {
		chain = []chainLink{{fsroot.Resolved(absPath(parent.p.pb.File)), parent.p.pb.File}}
	}
	real := fsroot.Resolved(absPath(path))
	names := make([]string, 0, len(chain)+1)
	for _, l := range chain {
		names = append(names, l.name)
	}
	names = append(names, name)
	for i, l := range chain {
		if l.real != real {
			continue
		}
		fix := "remove this step, or move what the playbooks of the cycle share into one that calls none of them"
		if i == len(chain)-1 {
			fix = "remove this step; to run steps again, give them repeat: or retry:, or foreach: over what changes"
		}
		same := ""
		if l.name != name {
			same = fmt.Sprintf(" (%s and %s are one file)", name, l.name)
		}
		return nil, ops.Errorf(ops.ClassValidation, "%s%s: a playbook.run cycle%s: a playbook may not run itself, directly or not; %s",
			parent.withAt(call, "path"), strings.Join(names, " → "), same, fix)
	}
	if len(chain) >= MaxSubDepth {
		return nil, ops.Errorf(ops.ClassValidation, "%s%s: nested more than %d deep: this playbook.run would nest %d playbooks, past the %d a run allows; call %s from a playbook higher in the chain, or merge two playbooks of the chain",
			parent.withAt(call, "path"), strings.Join(names, " → "), MaxSubDepth, len(chain)+1, MaxSubDepth, name)
	}
	return append(append([]chainLink(nil), chain...), chainLink{real, name}), nil
}

// withAt is "file:line:col: " of the value of the with: key of the step
// call runs (of its with: when the key is not written there, of the step
// when that has no position either), "" when the playbook gives none.
func (r *run) withAt(call *ops.Call, key string) string {
	id, _, _ := strings.Cut(call.Step, "[")
	n := r.p.node(id)
	if n == nil {
		return ""
	}
	var pos steps.Pos
	switch v := withValue(n.step.With, key); {
	case v != nil && v.Pos.Line != 0:
		pos = v.Pos
	case n.step.ParamPos[key].Line != 0:
		pos = n.step.ParamPos[key]
	case n.step.With != nil && n.step.With.Pos.Line != 0:
		pos = n.step.With.Pos
	default:
		pos = n.step.Pos
	}
	if pos.Line == 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d: ", r.file, pos.Line, pos.Col)
}
