package auth

import (
	"context"
	"fmt"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

var errDenied = ops.ErrDenied

// Authorizer is the engine's authorization step for one run: it decides
// each call with the interpolated parameters (an expression can change an
// HTTP method's risk), enforces the role's sandbox requirement and hands
// the operation its scope. It sits first in the call chain and is never
// retried.
type Authorizer struct {
	s *Subject
}

var _ engine.Authorizer = (*Authorizer)(nil)

// NewAuthorizer returns the authorizer of a subject's run.
func NewAuthorizer(s *Subject) *Authorizer { return &Authorizer{s: s} }

// Authorize implements engine.Authorizer.
func (a *Authorizer) Authorize(_ context.Context, c *engine.Call) error {
	risk := c.Entry.RiskFor(c.Params)
	d := a.s.Decide(c.Step.Op, risk)
	c.Decision = &report.Decision{Allowed: d.Allowed, Rule: d.Rule, Via: d.Via}
	if !d.Allowed {
		return ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w: %s (risk %s): %s", errDenied, c.Step.Op, risk, d.Rule))
	}
	scope := a.s.Scope(d)
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
