package engine

import (
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// MaxGroupLen bounds the name of a concurrency group.
const MaxGroupLen = 512

// ConcurrencyGroup evaluates the playbook's concurrency group for a run
// with these (resolved) inputs and environment: its group: value, or the
// playbook's name when it gives none. ok is false when the playbook has no
// concurrency: block. The group is computed before the run starts, so it
// reads inputs, env and run.playbook only.
func (p *Plan) ConcurrencyGroup(inputs map[string]any, envList []string) (group string, ok bool, err error) {
	c := p.pb.Concurrency
	if c == nil {
		return "", false, nil
	}
	if c.Group == nil {
		return p.pb.Name, true, nil
	}
	env := map[string]any{
		steps.EnvInputs: inputs,
		steps.EnvVars:   map[string]any{},
		steps.EnvEnv:    environ(append([]string{}, envList...)),
		steps.EnvSteps:  map[string]*steps.StepState{},
		steps.EnvRun:    map[string]any{"id": "", "playbook": p.pb.Name, "status": "", "started_at": "", "failed_steps": []any{}, "url": ""},
	}
	v, err := value(p.pb.File, c.Group, env)
	if err != nil {
		return "", true, err
	}
	g := Stringify(v)
	switch {
	case g == "":
		return "", true, ops.Errorf(ops.ClassValidation, "%s:%d:%d: concurrency.group is empty for these inputs; it must name a group", p.pb.File, c.Group.Pos.Line, c.Group.Pos.Col)
	case len(g) > MaxGroupLen:
		return "", true, ops.Errorf(ops.ClassValidation, "%s:%d:%d: concurrency.group is %d bytes, over the limit of %d", p.pb.File, c.Group.Pos.Line, c.Group.Pos.Col, len(g), MaxGroupLen)
	}
	return g, true, nil
}

// ConcurrencyPolicy is the playbook's concurrency.policy; "" without a
// concurrency: block.
func (p *Plan) ConcurrencyPolicy() string {
	if p.pb.Concurrency == nil {
		return ""
	}
	return p.pb.Concurrency.Policy
}
