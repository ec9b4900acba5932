package runs

// Preparing a request: its playbook loaded and planned, the caller's
// subject and the preflight, inputs resolved, sinks and the resume report
// checked, before anything runs.

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// PrepareError is a request that cannot become a run: the playbook, the
// caller's roles, the resume report or an input is wrong. Nothing ran and
// nothing was recorded.
type PrepareError struct {
	// Field names what is wrong: "playbook", "roles", "resume", "inputs",
	// "inventory" (inventory.hosts names a group the inventory lacks, or
	// no inventory is configured), "sinks" or "params".
	Field string
	Err   error
}

func (e *PrepareError) Error() string { return e.Err.Error() }
func (e *PrepareError) Unwrap() error { return e.Err }

// prepared is a request made ready to run.
type prepared struct {
	req     *Request
	runID   string
	plan    *engine.Plan
	policy  *auth.Policy
	subject *auth.Subject
	inputs  map[string]any
	env     Env // the run's environment, its env files' variables included
	// hostEnv is env without them, as prepare read it: the engine adds
	// them itself, so that a sub-playbook's env files override its
	// caller's.
	hostEnv []string
	res     *resumed
	// decisions are the preflight's; statePath is the state dir's copy of
	// the report ("" without one); sinks are every file the report goes to.
	decisions []auth.StepDecision
	statePath string
	sinks     []sink
	// refusal explains a grant refused for this run (see Handle.Refusal).
	refusal string
	// untrusted: the run resumes under a grant from a report arsenal-run
	// cannot vouch for, and is refused outright, a dry run too.
	untrusted bool
	// group is the run's concurrency group, "" when it has none (or is a
	// dry run, which changes nothing and waits for no one).
	group string
	// asker takes the answers to confirm: questions (Request.Ask).
	asker *asker
	// parent is the span the request was made under, if any.
	parent trace.SpanContext
	// engOpts are the engine's options for this run; baseOpts are those
	// that do not depend on the policy (all but the cache's), for a plan
	// made again under another (see reauthorize). cached: the plan has
	// the cache's middleware.
	engOpts, baseOpts []engine.Option
	cached            bool
	// start is the run's start on its way to the history.
	start *startRecord
	// warnings are about the run as a whole (Handle.Warnings).
	warnings []string
}

func (p *prepared) release() {}

// checkTrust denies, under a grant, the steps whose run the grant cannot
// vouch for: the inputs the caller set, a resumed report.
func (p *prepared) checkTrust() {
	p.decisions, p.refusal = checkGrantInputs(p.decisions, p.subject, p.inputs)
	var distrust string
	p.decisions, p.subject, distrust = checkResumeTrust(p.res, p.decisions, p.subject)
	p.untrusted = distrust != ""
	p.refusal += distrust
}

// planOptions are the engine's options of a run: base, then the cache's
// middleware (inside authorization), then the wait for the record of the
// run's start before its first change.
func planOptions(base, cache []engine.Option) []engine.Option {
	opts := append(slices.Clip(base), cache...)
	return append(opts, engine.WithMiddleware(beforeChange))
}

// planKey is what a plan kept with its playbook depends on besides the
// playbook (see Service.planFor): the service's engine settings
// (registry, auditor, RefuseSwappable), the request's limit and, for a
// plan with the result cache's middleware, the policy and the caller's
// roles it takes what may be cached and the namespaces from.
type planKey struct {
	s           *Service
	maxParallel int
	policy      *auth.Policy
	roles       string
}

// planFor plans pb under base and, when cached, the result cache's
// middleware for policy and roles; plain is planOptions(base, nil), the
// options of a plan without the cache. A plan that holds nothing of the run
// (no confirmer) is made once per loaded playbook, limit, and for the
// cache policy and roles, and kept with it, as it is immutable and safe
// for concurrent runs: a playbook scheduled every second is not planned
// every second, nor its sub-playbooks each time they are called. A
// playbook loaded again (a reload) gets a plan of its own. It returns the
// engine's options of the plan.
func (s *Service) planFor(pb *steps.Playbook, base, plain []engine.Option, maxParallel int, perRun, cached bool, policy *auth.Policy, roles []string) (*engine.Plan, []engine.Option) {
	opts := func() []engine.Option {
		if !cached {
			return plain
		}
		return planOptions(base, s.cacheOptions(policy, roles))
	}
	if perRun {
		o := opts()
		return engine.New(s.cfg.Registry, o...).Plan(pb), o
	}
	key := planKey{s: s, maxParallel: maxParallel}
	if cached {
		key.policy, key.roles = policy, rolesKey(roles)
	}
	k := pb.Derived(key, func() any {
		o := opts()
		return keptPlan{engine.New(s.cfg.Registry, o...).Plan(pb), o}
	}).(keptPlan)
	return k.plan, k.opts
}

// keptPlan is a plan kept with its playbook and the options it was made
// with (tracing makes it again with them).
type keptPlan struct {
	plan *engine.Plan
	opts []engine.Option
}

// Prepare checks a request without running it: the playbook loads, the
// roles exist, the resume report fits, the inputs resolve. A front end
// that must refuse bad requests synchronously (the API's 400) gets the
// same errors from Start.
func (s *Service) prepare(ctx context.Context, req *Request) (*prepared, error) {
	pb := req.Playbook
	if pb == nil {
		var err error
		if pb, err = steps.Load(req.Path, s.cfg.Registry); err != nil {
			return nil, &PrepareError{Field: "playbook", Err: err}
		}
	}
	policy := req.Policy
	if policy == nil {
		policy = s.cfg.Policy
	}
	roles := req.Caller.Roles
	if len(roles) == 0 {
		roles = []string{auth.DefaultRole}
		req.Caller.Roles = roles
	}
	subject, err := policy.Subject(roles, pb)
	if err != nil {
		return nil, &PrepareError{Field: "roles", Err: err}
	}
	if probs := policy.CacheProblems(pb); len(probs) > 0 {
		return nil, &PrepareError{Field: "playbook", Err: probs}
	}
	env := req.Env
	if env == nil {
		env = s.cfg.Env
	}
	runID := req.RunID
	if runID == "" {
		runID = engine.NewRunID()
	}
	var ask *asker
	var confirmer engine.Confirmer
	switch {
	case req.Yes:
	case req.Confirmer != nil:
		confirmer = req.Confirmer
	case req.Ask:
		ask = newAsker(s, pb, runID)
		confirmer = ask
	}
	baseOpts, plainOpts := s.engineOptions(req.MaxParallel, confirmer)
	// An executed operation's start is never recorded: nothing to wait
	// for, and no record to carry in its context.
	var start *startRecord
	if !req.oneShot {
		start = &startRecord{}
	}
	cached := s.usesCache(pb)
	plan, engOpts, ok := s.oneShotPlan(req, pb, confirmer, cached)
	if !ok {
		plan, engOpts = s.planFor(pb, baseOpts, plainOpts, req.MaxParallel, confirmer != nil, cached, policy, roles)
	}
	// The playbook's env files join the environment here, so that inputs
	// with env: or from_env: read them too. The host's is read once: the
	// run gets the environment its inputs were resolved in.
	host := hostEnviron(env)
	environ, err := plan.Environ(host)
	if err != nil {
		return nil, &PrepareError{Field: "playbook", Err: err}
	}
	env = listEnv(environ)
	var res *resumed
	switch {
	case req.ResumeFrom != "":
		if res, err = s.loadResume(req.ResumeFrom); err != nil {
			return nil, &PrepareError{Field: "resume", Err: fmt.Errorf("--resume: %w", err)}
		}
		if res.failed {
			s.warn("--resume %s: the report fails its check against this state dir's key: %s; the steps it reuses are taken as it says", res.file, res.why)
		}
	case req.Resume != nil:
		res = &resumed{rep: req.Resume, file: "the report given", why: "it was not read from the state dir"}
	}
	var decisions []auth.StepDecision
	if !req.Selection.IsZero() {
		// A step the playbook does not have is a typo, whatever the
		// roles: say so first. Then a grant refuses any selection: say
		// so before what else is wrong with it.
		if err := plan.CheckSteps(req.Selection); err != nil {
			return nil, &PrepareError{Field: "selection", Err: err}
		}
		if decisions, err = s.preflightAs(subject); err != nil {
			return nil, &PrepareError{Field: "roles", Err: fmt.Errorf("authorization: %w", err)}
		}
		if err := checkGrantSelection(req.Selection, decisions); err != nil {
			return nil, &PrepareError{Field: "selection", Err: err}
		}
	}
	if res != nil && res.rep.DryRun && !req.DryRun && (res.rep.Status != report.StatusSucceeded || !req.Selection.IsZero()) {
		// Its writes, and those of the sub-playbooks it ran, were skipped,
		// yet the steps that ran them are recorded succeeded: reused, they
		// would stand for work that never happened. A partial run takes
		// its left-out steps from a succeeded run too; a plain resume of
		// a succeeded one is refused by CheckResume, which says so.
		return nil, &PrepareError{Field: "resume", Err: fmt.Errorf("--resume: run %s was a dry run: its writes did not happen (nor those of the sub-playbooks it ran), so none of its steps may stand for this run's; run the playbook without --resume to run every step for real, or resume it with --dry-run", res.rep.RunID)}
	}
	if res != nil {
		if err := checkResumeRoles(res, roles); err != nil {
			return nil, &PrepareError{Field: "resume", Err: err}
		}
	}
	switch {
	case !req.Selection.IsZero():
		var prev *report.Report
		if res != nil {
			prev = res.rep
		}
		if err := plan.CheckPartial(req.Selection, prev, req.Force); err != nil {
			return nil, &PrepareError{Field: "selection", Err: err}
		}
		if prev != nil && !req.DryRun {
			if err := s.checkResumedAgain(ctx, prev, true); err != nil {
				return nil, &PrepareError{Field: "resume", Err: err}
			}
		}
	case res != nil:
		if err := plan.CheckResume(res.rep, req.Force); err != nil {
			return nil, &PrepareError{Field: "resume", Err: fmt.Errorf("--resume: %w", err)}
		}
		if !req.DryRun {
			if err := s.checkResumedAgain(ctx, res.rep, false); err != nil {
				return nil, &PrepareError{Field: "resume", Err: err}
			}
		}
	}
	inputs, err := s.inputs(plan, req, res, env)
	if err != nil {
		return nil, &PrepareError{Field: "inputs", Err: err}
	}
	if err := s.checkInventory(pb); err != nil {
		return nil, &PrepareError{Field: "inventory", Err: err}
	}
	p := &prepared{req: req, runID: runID, asker: ask, plan: plan, policy: policy, subject: subject, inputs: inputs, env: env, hostEnv: host, res: res,
		engOpts: engOpts, baseOpts: baseOpts, cached: cached, parent: trace.SpanContextFromContext(ctx), start: start, decisions: decisions}
	if p.decisions == nil {
		if p.decisions, err = s.preflightAs(subject); err != nil {
			return nil, &PrepareError{Field: "roles", Err: fmt.Errorf("authorization: %w", err)}
		}
	}
	if s.store != nil && !req.oneShot {
		if dir := s.store.Reports(); dir != "" {
			p.statePath = filepath.Join(dir, p.runID+".json")
		}
		if err := checkStateDir(s.store); err != nil {
			return nil, err
		}
	}
	if req.Playbook != nil {
		if w := s.runFileWarning(req, pb); w != "" {
			p.warnings = []string{w}
		}
	}
	p.checkTrust()
	s.checkAimedInputs(p)
	// Every report path is checked before anything runs, so that a run
	// never replaces what is not its to replace.
	p.sinks = sinksFor(req, p.statePath, reportsName(s.store), env)
	var given []sink // the state dir's copy is the service's own, checked when it opened
	for _, sk := range p.sinks {
		if !sk.state {
			given = append(given, sk)
		}
	}
	if len(given) > 0 {
		if err := checkSinks(given, s.readFiles(req, pb.File, p.decisions)); err != nil {
			return nil, &PrepareError{Field: "sinks", Err: err}
		}
	}
	if !req.DryRun {
		group, ok, err := plan.ConcurrencyGroup(inputs, environ)
		if err != nil {
			return nil, &PrepareError{Field: "inputs", Err: err}
		}
		if ok {
			p.group = group
		}
	}
	return p, nil
}

// Denials prepares a request as Start would, without running or recording
// anything, and returns the steps its preflight denies. A front end that
// hands runs to a queue checks them first, so that a bad request is
// refused at once (the error is a *PrepareError) and a denied one is
// started here, where it is recorded as denied.
func (s *Service) Denials(ctx context.Context, req Request) ([]auth.StepDecision, error) {
	p, err := s.prepare(ctx, &req)
	if err != nil {
		return nil, err
	}
	return auth.Denied(p.decisions), nil
}

// inputs gathers the run's inputs: those of a resumed run (but not its
// masked secrets, which must be given again unless their env variable or
// file gives them), then the typed inputs, then the text ones. An input of
// the resumed run whose recorded value lost something to the report (a
// secret's text masked inside it, a cut) must be given again: the run
// would otherwise go on with the report's copy, not the value.
func (s *Service) inputs(plan *engine.Plan, req *Request, res *resumed, env Env) (map[string]any, error) {
	given := map[string]any{}
	lossy := map[string]lostInput{}
	if res != nil {
		for k, v := range res.rep.Inputs {
			in := plan.Playbook().Input(k)
			if in == nil {
				continue
			}
			if in.Secret {
				// Not taken from the report, which masks every secret
				// (an empty one too). Unless its variable is set or it
				// has a file to read, the run would go on with its
				// default or its zero value, not the one it had.
				if engine.ValueLoss(v) != "" && !secretSource(in, env) {
					lossy[k] = lostInput{what: "it masked, as a secret input", secret: true, env: in.Env}
				}
				continue
			}
			if lost := engine.ValueLoss(v); lost != "" {
				lossy[k] = lostInput{what: lost, secret: strings.Contains(lost, redact.Mask)}
				continue
			}
			given[k] = v
		}
	}
	if req.InputsFile != "" {
		// --input wins over the file, also over a value of the wrong type.
		var overridden []string
		for k := range req.Inputs {
			overridden = append(overridden, k)
		}
		for k := range req.InputText {
			overridden = append(overridden, k)
		}
		fromFile, err := steps.LoadInputs(req.InputsFile, plan.Playbook(), overridden...)
		if err != nil {
			return nil, err
		}
		for k, v := range fromFile {
			given[k] = v
		}
	}
	for k, v := range req.Inputs {
		given[k] = v
	}
	parsed, err := plan.ParseInputs(req.InputText)
	if err != nil {
		return nil, err
	}
	for k, v := range parsed {
		given[k] = v
	}
	if err := checkLossyInputs(lossy, given, res); err != nil {
		return nil, err
	}
	return plan.ResolveInputsFor(given, env.LookupEnv, s.inputHint(req))
}

// secretSource says whether a secret input has a source of its own to
// read again: its env variable set, or a from_file.
func secretSource(in *steps.Input, env Env) bool {
	if in.Env != "" {
		if _, ok := env.LookupEnv(in.Env); ok {
			return true
		}
	}
	return in.FromFile != ""
}

// lostInput is how a resumed run's report lost an input's value.
type lostInput struct {
	what string
	// secret says the value held a secret's text, which must not be
	// given again on a command line that every local user can read.
	secret bool
	// env is the secret input's own variable, if it has one.
	env string
}

// advice says how to give an input again: a secret in a file or its
// variable, out of the process list; anything else with --input.
func (l lostInput) advice(name string) string {
	if !l.secret {
		return "pass it again with --input " + name + "=VALUE"
	}
	if l.env != "" {
		return "set $" + l.env + " or give it again in a file only you can read with --inputs FILE (not --input, which every local user sees in ps)"
	}
	return "give it again in a file only you can read with --inputs FILE (not --input, which every local user sees in ps)"
}

// checkLossyInputs refuses a resume that would need an input whose value
// only the resumed run's report holds, and holds incompletely, unless
// the input is given again. The report does not say which values it
// masked, so one that merely holds the mask counts too: giving it again
// costs the user a flag, a wrong value would cost the run's correctness.
func checkLossyInputs(lossy map[string]lostInput, given map[string]any, res *resumed) error {
	var missing []string
	for k := range lossy {
		if _, ok := given[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	var b strings.Builder
	for i, k := range missing {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "input %s: run %s recorded %s, not the value it ran with; %s", k, res.rep.RunID, lossy[k].what, lossy[k].advice(k))
	}
	return fmt.Errorf("--resume: %s", b.String())
}
