package auth

import (
	"context"
	"fmt"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
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
	scope := subj.Scope(d)
	if scope.SandboxRequired() && c.Entry.Spec.Param("sandbox") != nil {
		if sb, _ := c.Params["sandbox"].(map[string]any); sb == nil {
			c.Decision.Allowed = false
			c.Decision.Rule = "the role requires sandbox for " + c.Step.Op
			return ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w: %s must run with sandbox: for these roles; add sandbox: {network: false} or what the step needs", errDenied, c.Step.Op))
		}
	}
	c.Scope = scope
	return nil
}
