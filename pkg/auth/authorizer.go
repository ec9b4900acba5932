package auth

import (
	"context"
	"fmt"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

var errDenied = ops.ErrDenied

// Authorizer is the engine's authorization step for one run: it decides
// each call with the interpolated parameters (an expression can change an
// HTTP method's risk), enforces the role's sandbox requirement and hands
// the operation its scope. It sits first in the call chain and is never
// retried.
type Authorizer struct {
	s    *Subject
	mu   sync.Mutex
	subs map[*steps.Playbook]*Subject // sub-playbooks run by playbook.run
}

var _ engine.Authorizer = (*Authorizer)(nil)

// NewAuthorizer returns the authorizer of a subject's run.
func NewAuthorizer(s *Subject) *Authorizer { return &Authorizer{s: s} }

// subject returns who runs pb: the run's subject for its own playbook; for
// a sub-playbook, the same roles with a grant only if the policy pins that
// sub-playbook itself, so a sub-run never gets more than its caller could
// get by running it directly.
func (a *Authorizer) subject(pb *steps.Playbook) (*Subject, error) {
	if pb == nil || a.s.playbook == nil || pb == a.s.playbook {
		return a.s, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.subs[pb]; ok {
		return s, nil
	}
	s, err := a.s.policy.Subject(a.s.Roles, pb)
	if err != nil {
		return nil, err
	}
	if a.s.directOnly {
		s = s.DirectOnly()
	}
	if a.subs == nil {
		a.subs = map[*steps.Playbook]*Subject{}
	}
	a.subs[pb] = s
	return s, nil
}

// Authorize implements engine.Authorizer.
func (a *Authorizer) Authorize(_ context.Context, c *engine.Call) error {
	risk := c.Entry.RiskFor(c.Params)
	subj, err := a.subject(c.Playbook())
	if err != nil {
		return ops.WithClass(ops.ClassAuthorization, err)
	}
	d := subj.Decide(c.Step.Op, risk)
	if !d.Allowed {
		d = subj.riskReasonNote(c.Step.Op, risk, c.Entry.RiskReason(c.Params), d)
	}
	c.Decision = &report.Decision{Allowed: d.Allowed, Rule: d.Rule, Via: d.Via}
	if !d.Allowed {
		return ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w: %s (risk %s): %s", errDenied, c.Step.Op, risk, d.Rule))
	}
	if d.Via != "direct" {
		// The grant's rights go only with the inputs it allows, checked
		// for every call: a sub-playbook's inputs come from its caller.
		if err := subj.CheckInputs(c.Inputs()); err != nil {
			c.Decision.Allowed = false
			c.Decision.Rule = err.Error()
			return ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w: %s: %v", errDenied, c.Step.Op, err))
		}
	}
	scope := subj.Scope(c.Step.Op, risk).forCall()
	if c.Entry.Spec.Param("sandbox") != nil {
		if req, err := scope.AdmitSandbox(c.Params["sandbox"]); err != nil {
			c.Decision.Allowed = false
			c.Decision.Rule = fmt.Sprintf("the role requires a sandbox %s for %s", req, c.Step.Op)
			return ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w: %s: %v", errDenied, c.Step.Op, err))
		}
	}
	c.Scope = scope
	return nil
}

// meetsSandbox checks a step's sandbox param against a required sandbox:
// it must be set and ask for no more than req allows. A malformed sandbox
// is left to the operation's own parameter check.
func meetsSandbox(v any, req *sandbox.Limits) error {
	sb, _ := v.(map[string]any)
	if sb == nil {
		return fmt.Errorf("must run with sandbox: for these roles (at most %s); add sandbox: {} to run under those limits, or the limits the step needs within them", req)
	}
	l, err := sandbox.Parse(sb, true)
	if err != nil {
		return nil
	}
	if _, err := sandbox.Apply(l, req); err != nil {
		return fmt.Errorf("sandbox %w", err)
	}
	return nil
}
