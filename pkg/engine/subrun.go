package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// MaxSubDepth bounds how deep playbook.run may nest.
const MaxSubDepth = 8

// callKey carries the call in its operation's context, for playbook.run:
// the calling run, and the name of the item that calls (see callFrom).
type callKey struct{}

// callFrom returns the run that calls the operation of ctx, nil outside a
// run, and the calling step as the report's paths of nested steps name
// it (subItemPath), "" outside a call.
func callFrom(ctx context.Context) (*run, string) {
	c, _ := ctx.Value(callKey{}).(*Call)
	if c == nil {
		return nil, ""
	}
	return c.run, c.ItemPath()
}

// RegisterPlaybookOp adds playbook.run to the engine's registry: it runs a
// sub-playbook through the same engine, with the caller's roles, authorizer,
// limits and options, and returns its outputs and status. A playbook that
// calls itself, directly or not, is an error rather than a stack overflow.
func RegisterPlaybookOp(e *Engine) error {
	return e.reg.Register(ops.Spec{
		Name:        "playbook.run",
		Description: "Run another playbook as one step, with its own inputs; its outputs and status come back and its steps appear nested in the report.",
		Risk:        ops.RiskWrite,
		Params: []ops.Param{
			{Name: "path", Type: ops.TypeString, Required: true, Description: "the playbook file, relative to this playbook's directory; it must lie in this playbook's directory tree or in the caller's file roots"},
			{Name: "inputs", Type: ops.TypeMap, Description: "the sub-playbook's inputs, by name"},
		},
		Output: []ops.Field{
			{Name: "status", Type: "string", Description: "the sub-run's status"},
			{Name: "outputs", Type: "map", Description: "the sub-run's outputs"},
			{Name: "run_id", Type: "string", Description: "the sub-run's id"},
		},
	}, &subPlaybook{e: e})
}

type subPlaybook struct {
	e *Engine
}

func (s *subPlaybook) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	parent, item := callFrom(ctx)
	name := p.String("path")
	path := name
	call := ops.CallFrom(ctx)
	if !filepath.IsAbs(path) && call.Dir != "" {
		path = filepath.Join(call.Dir, path)
	}
	path = filepath.Clean(path)
	chain, err := subChain(parent, call, path, name)
	if err != nil {
		return nil, err
	}
	// The sub-run goes through the caller's engine, so it shares its
	// chain, auditor, observer and limits.
	eng := s.e
	if parent != nil {
		eng = parent.p.e
	}
	var o runOptions
	if parent != nil {
		o = parent.o
	}
	roots := subInputRoots(o.inputRoots, call.Scope, call.Dir, path)
	if o.inputRoots == nil && roots != nil {
		// The variables of the callers' env files were read with the
		// runner's rights: a playbook the caller may have written does
		// not get them, as it does not get their from_file.
		o.fileVars, o.envFiles = nil, nil
	}
	o.inputRoots = roots
	if eng.refuseSwaps {
		// It runs with the caller's roles, which its writer may not have.
		if msg := steps.SwappableSub(path); msg != "" {
			return nil, ops.Errorf(ops.ClassValidation, "playbook.run %s: %s", name, msg)
		}
	}
	plan, err := s.plan(eng, path, SubPlaybookRoots(call.Scope, call.Dir), o.inputRoots)
	if err != nil {
		return nil, ops.WithClass(subLoadClass(err), err)
	}
	if err := plan.runEnviron(&o); err != nil {
		return nil, ops.WithClass(subLoadClass(err), fmt.Errorf("playbook.run %s: %w", path, err))
	}
	given := p.Map("inputs")
	hint := subInputHint
	if o.inputRoots != nil {
		hint = confinedSubInputHint
	}
	in, err := plan.resolveInputs(given, lookupIn(o.readEnv()), o.inputRoots, hint)
	if err != nil {
		// Values given by expressions are checked only now: the error
		// points at the inputs: that gave them.
		return nil, ops.WithClass(subLoadClass(err), parent.subInputsError(call, path, plan, given, err))
	}
	// The step as the report's nested rows name it: a fan-out's item by
	// its label, not the index call.Step has, so that the sub-run's
	// events, log lines, audit lines and cuts name it one way.
	step := call.Step
	if item != "" {
		step = item
	}
	if parent != nil {
		o.id, o.parent, o.resume, o.sel, o.startedAt = "", parent.id, nil, nil, time.Time{}
		o.warnings = nil // about the parent's playbook
		o.startLogged = false
		o.parentStep = step
		o.tolerated = parent.o.tolerated || parent.tolerates(call.Step)
		id, _, _ := strings.Cut(call.Step, "[")
		o.prefix = parent.o.prefix + id + "/"
	}
	o.chain = chain
	r := plan.newRun(in, o)
	defer r.logw.Close()
	if parent != nil {
		// What the parent masks, the sub-run masks too: a secret passed
		// down as an input stays hidden in the nested report.
		ps := parent.secrets()
		r.red.Add(ps...)
		r.keepSecrets(ps)
		r.budget = parent.budget
		r.derived = parent.derived // one bound for the run and its sub-runs
		r.ownLost.up = parent.lost
	}
	if parent != nil {
		var done func()
		ctx, done = subContext(ctx, parent.o.prefix+step, parent.p.pb.Name)
		defer done()
	}
	rep := r.execute(ctx)
	for _, k := range slices.Sorted(maps.Keys(rep.OutputErrors)) {
		// The caller reads it as null: say why where it is run.
		msg := fmt.Sprintf("output %s of sub-playbook %s could not be computed; the step's output.outputs.%s is null: %s", k, rep.Playbook.Name, k, rep.OutputErrors[k])
		call.Log.Warn().Msg(msg)
		if call.Message != nil {
			call.Message("warn", msg)
		}
	}
	outputs := rep.Outputs // capped and masked: no run to keep them secret
	if parent != nil {
		parent.addSub(call.Step, rep, r.dryPartial())
		// The caller gets the outputs as the sub-playbook computed them,
		// not the report's copy, and masks what the sub-run masked, so
		// that an output built from a secret is usable and stays hidden.
		parent.learnSecrets(r.secrets())
		outputs = r.outputs
	}
	out := map[string]any{"status": string(rep.Status), "outputs": outputs, "run_id": rep.RunID}
	if rep.Status != report.StatusSucceeded {
		class, msg := ops.ClassExecution, "sub-playbook "+plan.pb.Name+" "+string(rep.Status)
		if rep.Error != nil {
			class, msg = ops.Class(rep.Error.Class), msg+": "+rep.Error.Message
		}
		err := errors.New(msg)
		if n := r.lost.count(); n > 0 {
			err = &lostLines{err, n} // see unaudited.retriedPast
		}
		return out, &subRunError{ops.WithClass(class, err)}
	}
	return out, nil
}

// dryPartial reports whether the run is a dry run whose outputs read a
// step the dry run did not execute (in full).
func (r *run) dryPartial() bool {
	if !r.o.dryRun {
		return false
	}
	for _, n := range r.p.outputReads {
		if r.rec(n.idx).dryRun {
			return true
		}
	}
	return false
}

// subDryPartial reports whether the sub-run the step (or "step[i]")
// started was a dry run whose outputs are partial: the step's readers
// are then skipped as readers of a step the dry run did not execute.
func (r *run) subDryPartial(step string) bool {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	return r.subDry[step]
}

// plan loads a sub-playbook from inside roots and plans it once per
// engine and content (see Engine.subPlans); its env files are read only
// inside envRoots unless they are nil (see runOptions.inputRoots).
func (s *subPlaybook) plan(e *Engine, path string, roots, envRoots []string) (*Plan, error) {
	var opts []steps.LoadOption
	if e.refuseSwaps {
		opts = append(opts, steps.WithSwapCheck())
	}
	if envRoots != nil {
		opts = append(opts, steps.WithEnvFileRoots(envRoots))
	}
	pb, err := LoadSubPlaybook(path, roots, e.reg, opts...)
	if err != nil {
		return nil, fmt.Errorf("playbook.run %s:\n%w", path, err)
	}
	key := absPath(path)
	e.subMu.Lock()
	defer e.subMu.Unlock()
	if p, ok := e.subPlans[key]; ok && p.pb.SHA256 == pb.SHA256 {
		return p, nil
	}
	p := e.Plan(pb)
	if e.subPlans == nil {
		e.subPlans = map[string]*Plan{}
	}
	// One plan a file, its latest content's: an engine kept with its
	// playbook for all its runs (schedule, serve) would otherwise keep a
	// plan for each edit of its sub-playbooks.
	e.subPlans[key] = p
	return p, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// addSub keeps a sub-run's report for the step (or "step[i]") that
// started it, and whether it was a dry run whose outputs are partial
// (see dryPartial).
func (r *run) addSub(step string, rep *report.Report, dryPartial bool) {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	if r.subs == nil {
		r.subs = map[string]*report.SubRun{}
	}
	if dryPartial {
		if r.subDry == nil {
			r.subDry = map[string]bool{}
		}
		r.subDry[step] = true
	}
	r.subs[step] = &report.SubRun{RunID: rep.RunID, Playbook: rep.Playbook, Status: rep.Status, Steps: rep.Steps, Outputs: rep.Outputs, OutputErrors: rep.OutputErrors, Error: rep.Error}
}
