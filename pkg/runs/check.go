package runs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Check is what a request would be allowed to do, found without running
// anything: a start form shows it before the user presses Run.
type Check struct {
	// Steps are the preflight's decisions, one per step (sub-playbooks'
	// steps included), in the playbook's order.
	Steps []auth.StepDecision
	// Refusal explains a grant refused for these inputs; "" otherwise.
	Refusal string
	// Inputs is what is wrong with the inputs (an *engine.InputError
	// lists each), nil when they resolve. The decisions are then those of
	// the caller's roles before a grant checks the inputs.
	Inputs error
}

// Allowed reports whether every step is allowed.
func (c *Check) Allowed() bool { return len(auth.Denied(c.Steps)) == 0 }

// Check prepares req as Manager.Start does (playbook, roles, inputs,
// preflight, a grant's check of the inputs) and returns the outcome
// without starting, recording or auditing anything. Inputs that do not
// resolve are not an error here: they are in Check.Inputs, beside the
// decisions. Other problems are the *PrepareError Start would return.
func (s *Service) Check(ctx context.Context, req Request) (*Check, error) {
	req.Ask, req.Confirmer = false, nil // nothing will be asked
	p, err := s.prepare(ctx, &req)
	if err == nil {
		return &Check{Steps: p.decisions, Refusal: p.refusal}, nil
	}
	var pe *PrepareError
	if !errors.As(err, &pe) || pe.Field != "inputs" || req.Playbook == nil {
		return nil, err
	}
	policy := req.Policy
	if policy == nil {
		policy = s.cfg.Policy
	}
	ds, derr := s.Preflight(policy, req.Caller.Roles, req.Playbook)
	if derr != nil {
		return nil, &PrepareError{Field: "roles", Err: fmt.Errorf("authorization: %w", derr)}
	}
	return &Check{Steps: ds, Inputs: pe.Err}, nil
}

// Preflight decides, under policy, every step of pb for roles, with this
// service's operations and inventory, as a run of it would be decided: a
// front end asking whether a caller may act on a playbook (pause it,
// cancel or answer one of its runs) gets the answer a run would, host
// scopes included.
func (s *Service) Preflight(policy *auth.Policy, roles []string, pb *steps.Playbook) ([]auth.StepDecision, error) {
	return policy.Preflight(roles, pb, s.cfg.Registry, auth.WithInventory(s.cfg.Remote.Inventory))
}

// preflightAs is Preflight for a subject made already, which it decides
// the same way, without making the subject again.
func (s *Service) preflightAs(subject *auth.Subject) ([]auth.StepDecision, error) {
	return subject.Preflight(s.cfg.Registry, auth.WithInventory(s.cfg.Remote.Inventory))
}

// MayActOn decides whether roles could have started, under policy, a run
// of pb with these inputs, as Start decides it: the preflight, then a
// grant's check of the inputs when a step rests on a grant. A front end
// lets a caller who did not start a run act on it (answer its confirm:
// questions, cancel it) only then, so that a grant never lets its holder
// approve a run with inputs the grant would refuse them. It returns "" when
// they could, and otherwise why not. Nil inputs are ones that cannot be
// read (a queued run's that do not open): roles that reach pb only
// through a grant are then refused, as the grant cannot vouch for them.
func (s *Service) MayActOn(policy *auth.Policy, roles []string, pb *steps.Playbook, inputs map[string]any) string {
	ds, err := s.Preflight(policy, roles, pb)
	if err != nil {
		return err.Error()
	}
	if inputs == nil && auth.UsesGrant(ds) {
		return fmt.Sprintf("only a grant lets these roles run %s, and the run's inputs cannot be read here to check them against it", pb.Name)
	}
	subject, err := policy.Subject(roles, pb)
	if err != nil {
		return err.Error()
	}
	ds, _ = checkGrantInputs(ds, subject, inputs)
	if denied := auth.Denied(ds); len(denied) > 0 {
		return fmt.Sprintf("step %s: %s", denied[0].Step, denied[0].Decision.Rule)
	}
	return s.mayRunAnySub(subject, ds)
}

// mayRunAnySub judges the playbook.run steps of ds whose sub-playbook the
// preflight could not read (a path computed at run time, a recursion):
// the run may run any playbook there, so roles could have started that
// same run only when they may run every operation, at its highest risk
// and directly (a grant of pb does not reach a sub-playbook), as
// MayApprove judges a sub-run's step. It returns "" when they may.
func (s *Service) mayRunAnySub(subject *auth.Subject, ds []auth.StepDecision) string {
	for _, d := range ds {
		if d.Op != "playbook.run" || slices.ContainsFunc(ds, func(x auth.StepDecision) bool { return strings.HasPrefix(x.Step, d.Step+"/") }) {
			continue
		}
		direct := subject.DirectOnly()
		for _, e := range s.cfg.Registry.List("") {
			highest := ops.Params{}
			for _, p := range e.Spec.Params {
				highest[p.Name] = ops.Deferred
			}
			risk := e.RiskFor(highest)
			if v := direct.Decide(e.Spec.Name, risk); !v.Allowed {
				return fmt.Sprintf("step %s runs a sub-playbook known only when it runs, which may use %s (risk %s), and %s", d.Step, e.Spec.Name, risk, v.Rule)
			}
		}
		return ""
	}
	return ""
}

// RunInputs are the inputs that a run of pb given these inputs will show
// in its report: resolved as Start resolves them (typed, defaults and env:
// filled in, env read from env, or the service's without one) and a
// secret masked. They are what the run's Handle.Inputs returns once it
// runs, so that a front end judges, with MayActOn, who may act on a run
// still waiting in a queue as it will once the run runs.
func (s *Service) RunInputs(pb *steps.Playbook, given map[string]any, env Env) (map[string]any, error) {
	inputs, err := s.resolveInputs(pb, given, env)
	if err != nil {
		return nil, err
	}
	return engine.MaskInputs(pb, inputs, inputSecrets(pb, inputs)), nil
}

// resolveInputs resolves given as Start resolves a run's inputs, unmasked.
func (s *Service) resolveInputs(pb *steps.Playbook, given map[string]any, env Env) (map[string]any, error) {
	if env == nil {
		env = s.cfg.Env
	}
	plan := engine.New(s.cfg.Registry).Plan(pb)
	environ, err := plan.Environ(hostEnviron(env))
	if err != nil {
		return nil, err
	}
	return s.inputs(plan, &Request{Playbook: pb, Inputs: given}, nil, listEnv(environ))
}

// ErrNoHistory is returned by what needs the state dir's history when the
// service has none.
var ErrNoHistory = errors.New("this needs a state dir (--state-dir): the history keeps it")

// PauseSchedule pauses pb's schedule in the state dir's history, for every
// scheduler that shares it, and audits who did (action pause). It returns
// the pause that holds, and false when the schedule was paused already
// (nothing changes and nothing is audited). When the audit line cannot be
// written, the pause is undone and the error returned.
func (s *Service) PauseSchedule(ctx context.Context, pb *steps.Playbook, by Caller) (history.Pause, bool, error) {
	if s.store == nil {
		return history.Pause{}, false, ErrNoHistory
	}
	p, changed, err := s.store.PauseSchedule(ctx, history.Pause{Playbook: pb.Name, Path: history.PausePath(pb.File), By: by.Name, At: time.Now().UTC()})
	if err == nil && !changed && !p.Applies(pb.File) {
		return p, false, otherPause(pb, p)
	}
	if err != nil || !changed {
		return p, false, err
	}
	if err := s.auditSchedule(pb, by, auth.ActionPause, "paused"); err != nil {
		if _, uerr := s.store.ResumeSchedule(context.WithoutCancel(ctx), pb.Name); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return history.Pause{}, false, fmt.Errorf("the pause could not be audited, so the schedule was not paused: %w", err)
	}
	return p, true, nil
}

// ResumeSchedule ends the pause of pb's schedule and audits who did
// (action resume); history.ErrNotPaused when it was not paused. Slots that
// came while it was paused stay skipped. When the audit line cannot be
// written, the pause is put back and the error returned.
func (s *Service) ResumeSchedule(ctx context.Context, pb *steps.Playbook, by Caller) (history.Pause, error) {
	if s.store == nil {
		return history.Pause{}, ErrNoHistory
	}
	pauses, err := s.store.Pauses(ctx)
	if err != nil {
		return history.Pause{}, err
	}
	if held, ok := pauses[pb.Name]; ok && !held.Applies(pb.File) {
		return held, otherPause(pb, held)
	}
	p, err := s.store.ResumeSchedule(ctx, pb.Name)
	if err != nil {
		return p, err
	}
	if err := s.auditSchedule(pb, by, auth.ActionResume, "resumed"); err != nil {
		if _, _, perr := s.store.PauseSchedule(context.WithoutCancel(ctx), p); perr != nil {
			err = errors.Join(err, perr)
		}
		return history.Pause{}, fmt.Errorf("the resume could not be audited, so the schedule stays paused: %w", err)
	}
	return p, nil
}

// SchedulePauses returns the paused schedules by playbook name; none
// without a history.
func (s *Service) SchedulePauses(ctx context.Context) (map[string]history.Pause, error) {
	if s.store == nil {
		return map[string]history.Pause{}, nil
	}
	return s.store.Pauses(ctx)
}

// AuditCancel writes to the audit log that by cancelled run runID, a run
// of the playbook file with that sha256 ("" where unknown): a line of its
// own, as an answer to a confirm: question is, for a run that never
// starts has no step to tell it. A front end cancels the run only once
// the line is written.
func (s *Service) AuditCancel(runID, playbookFile, sha256 string, by Caller) error {
	if s.cfg.Audit == nil {
		return nil
	}
	err := s.cfg.Audit.Action(auth.AuditLine{RunID: runID, Playbook: playbookFile, SHA256: sha256, Roles: by.Roles,
		Who: by.Name, From: by.From, Action: auth.ActionCancel, Outcome: "cancelled"})
	if err != nil {
		return fmt.Errorf("the cancel could not be audited, so the run was not cancelled: %w; cancel again once the audit log can be written", err)
	}
	return nil
}

// AuditCancelFailed writes to the audit log that the cancel of run runID
// by by, whose line AuditCancel wrote, did not happen after all: the
// store that carries it to the run did not take it (err says why). The
// outcome is "failed", or "unconfirmed" when unsure (the store could not
// tell whether it took it). A line that cannot be written is only warned
// of: the caller's answer says the cancel failed.
func (s *Service) AuditCancelFailed(runID, playbookFile, sha256 string, by Caller, err error, unsure bool) {
	if s.cfg.Audit == nil {
		return
	}
	outcome := string(report.StatusFailed)
	if unsure {
		outcome = "unconfirmed"
	}
	l := auth.AuditLine{RunID: runID, Playbook: playbookFile, SHA256: sha256, Roles: by.Roles,
		Who: by.Name, From: by.From, Action: auth.ActionCancel, Outcome: outcome,
		Error: &report.Error{Class: string(ops.ClassSystem), Message: err.Error()}}
	if werr := s.cfg.Audit.Action(l); werr != nil {
		s.warn("the failed cancel of %s by %s could not be audited: %v", runID, by.Name, werr)
	}
}

// AuditRefused records an action on a run or a schedule (action is one of
// auth's Action names) that the policy refused by: who tried it, from
// where, and why. Nothing was done, so a line that cannot be written is
// only warned of.
func (s *Service) AuditRefused(runID, playbookFile, sha256 string, by Caller, action, why string) {
	s.auditRefused(auth.AuditLine{RunID: runID, Playbook: playbookFile, SHA256: sha256, Action: action}, by, why)
}

// AuditRefusedAnswer is AuditRefused for an answer to a confirm:
// question of run runID: its line names, as the line of an answer
// given does, the step asked about and the answer, yes or no.
func (s *Service) AuditRefusedAnswer(runID, playbookFile, sha256 string, ans Answer, why string) {
	s.auditRefused(auth.AuditLine{RunID: runID, Playbook: playbookFile, SHA256: sha256, Action: auth.ActionConfirm,
		Step: ans.Step, Answer: yesNo(ans.Yes)}, ans.By, why)
}

func (s *Service) auditRefused(l auth.AuditLine, by Caller, why string) {
	if s.cfg.Audit == nil {
		return
	}
	l.Roles, l.Who, l.From, l.Outcome = by.Roles, by.Name, by.From, string(report.StatusDenied)
	l.Error = &report.Error{Class: string(ops.ClassAuthorization), Message: why}
	if err := s.cfg.Audit.Action(l); err != nil {
		s.warn("the refused %s of %s by %s could not be audited: %v", l.Action, cmp.Or(l.RunID, l.Playbook), by.Name, err)
	}
}

func (s *Service) auditSchedule(pb *steps.Playbook, by Caller, action, outcome string) error {
	if s.cfg.Audit == nil {
		return nil
	}
	return s.cfg.Audit.Action(auth.AuditLine{Playbook: pb.File, SHA256: pb.SHA256, Roles: by.Roles,
		Who: by.Name, From: by.From, Action: action, Outcome: outcome})
}

// MayApprove decides whether roles may answer yes to a confirm: question
// asked before a step of op in a run of pb that runs with runRoles (in a
// sub-run of it when subRun). MayActOn decides each step's operation on
// the playbook as written; a run decides more once its values are known
// (a sub-playbook named by an input, a path against file_roots, a host),
// so roles that could have started the run may still lack what the step
// asked about needs. An approver's roles must allow op themselves, at the
// step's risk as preflight counts it (for a sub-run's step, whose
// playbook is not known here, at op's highest, and directly, as a grant
// of pb does not reach a sub-playbook), and give it the scope the run's
// roles give it: then whatever the step does with its values, the
// approver could have done too. It returns "" when they may, and
// otherwise why not.
func (s *Service) MayApprove(policy *auth.Policy, roles, runRoles []string, pb *steps.Playbook, step, op string, subRun bool) string {
	e, err := s.cfg.Registry.Get(op)
	if err != nil {
		return err.Error()
	}
	var risk ops.Risk
	if st := pb.Step(step); !subRun && st != nil && st.Op == op {
		risk = st.Risk
	} else {
		highest := ops.Params{}
		for _, p := range e.Spec.Params {
			highest[p.Name] = ops.Deferred
		}
		risk = e.RiskFor(highest)
	}
	subject := func(roles []string) (*auth.Subject, error) {
		subj, err := policy.Subject(roles, pb)
		if err == nil && subRun {
			subj = subj.DirectOnly()
		}
		return subj, err
	}
	approver, err := subject(roles)
	if err != nil {
		return err.Error()
	}
	if d := approver.Decide(op, risk); !d.Allowed {
		return fmt.Sprintf("the step asks before %s (risk %s), and %s", op, risk, d.Rule)
	}
	run, err := subject(runRoles)
	if err != nil {
		return err.Error()
	}
	if approver.Scope(op, risk).Fingerprint() != run.Scope(op, risk).Fingerprint() {
		return fmt.Sprintf("the step asks before %s, and these roles give it other file roots, hosts or network rules than the run's roles (%s) do", op, strings.Join(runRoles, ", "))
	}
	return ""
}

// ErrOtherPause is returned by PauseSchedule and ResumeSchedule when the
// schedule of that name is paused for another file: a playbook of the same
// name that another scheduler on the state dir runs.
var ErrOtherPause = errors.New("a playbook of the same name from another file is paused")

func otherPause(pb *steps.Playbook, p history.Pause) error {
	return fmt.Errorf("%w: %s (by %s since %s), not %s; pause and resume it where that file is served",
		ErrOtherPause, p.Path, p.By, p.At.UTC().Format(time.RFC3339), history.PausePath(pb.File))
}

// NotRunSteps are the steps of a run of pb, by roles under policy given
// these inputs (nil when they cannot be read) with env, that never
// started: every step skipped for reason, with the decision a run of it
// would have had (a grant's check of the inputs included, resolved as
// Start resolves them), as the service records a run cancelled while it
// waited. Where policy cannot decide for roles (a role it no longer
// has), the steps carry no decision.
func (s *Service) NotRunSteps(policy *auth.Policy, roles []string, pb *steps.Playbook, given map[string]any, env Env, reason string) []report.Step {
	var inputs map[string]any
	if given != nil {
		inputs, _ = s.resolveInputs(pb, given, env)
	}
	var ds []auth.StepDecision
	if policy != nil {
		if got, err := s.Preflight(policy, roles, pb); err == nil {
			ds = got
			if subject, err := policy.Subject(roles, pb); err == nil {
				ds, _ = checkGrantInputs(ds, subject, inputs)
			}
		}
	}
	return notRunSteps(pb, ds, reason)
}
