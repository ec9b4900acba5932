package runs

import (
	"fmt"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// recheck judges the run again as it takes its run slot, by what its
// front end says is current (Request.Recheck): a run that waited must not
// start on rights a reload took away while it waited. It returns nil when
// the run may start, under the current policy from now on, and otherwise
// the report of the run ended unstarted, recorded, with the reason: the
// front end's, or the denials of the current policy.
func (s *Service) recheck(p *prepared, h *Handle) *report.Report {
	policy, err := p.req.Recheck()
	if err != nil {
		return s.refuseAtStart(p, h, err.Error())
	}
	if policy == nil {
		policy = s.cfg.Policy
	}
	if policy == p.policy {
		return nil
	}
	if err := s.reauthorize(p, policy); err != nil {
		return s.refuseAtStart(p, h, "under the policy in force now, "+err.Error())
	}
	return s.deny(p, h, "under the policy reloaded while the run waited to start")
}

// refuseAtStart ends a run that waited and may no longer start, for why:
// an authorization failure, its steps not run, audited as such.
func (s *Service) refuseAtStart(p *prepared, h *Handle, why string) *report.Report {
	s.auditRefusedStart(p, "not started: "+why)
	return s.neverRanAs(p, h, ops.ClassAuthorization,
		"not started: "+why+"; nothing ran",
		"not run: the run was refused as it was about to start")
}

// reauthorize makes policy the run's: its subject, the preflight's
// decisions and the trust checks of a grant, as prepare made them, and its
// plan's cache, which takes what may be cached from the policy. The
// run's roles stay the same. An error (a role the policy no longer has, a
// cache: the policy no longer allows) leaves the run unchanged.
func (s *Service) reauthorize(p *prepared, policy *auth.Policy) error {
	pb, roles := p.plan.Playbook(), p.req.Caller.Roles
	subject, err := policy.Subject(roles, pb)
	if err != nil {
		return err
	}
	if probs := policy.CacheProblems(pb); len(probs) > 0 {
		return probs
	}
	decisions, err := s.preflightAs(subject)
	if err != nil {
		return fmt.Errorf("authorization: %w", err)
	}
	if err := checkGrantSelection(p.req.Selection, decisions); err != nil {
		return err
	}
	p.policy, p.subject, p.decisions, p.refusal = policy, subject, decisions, ""
	p.checkTrust()
	s.checkAimedInputs(p)
	if p.cached {
		p.plan, p.engOpts = s.planFor(pb, p.baseOpts, nil, p.req.MaxParallel, p.asker != nil || p.req.Confirmer != nil, true, policy, roles)
	}
	return nil
}
