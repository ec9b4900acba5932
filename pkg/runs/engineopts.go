package runs

import (
	"slices"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// engineOptions are the engine's options of a run with this limit and
// confirmer (nil: none): base, and plan, base with the wait for the
// start's record (planOptions without the cache's middleware, which
// planFor adds for a playbook that uses it). Those of a run with neither,
// as every execute is, are made once: they depend on the service's
// settings alone.
func (s *Service) engineOptions(maxParallel int, confirmer engine.Confirmer) (base, plan []engine.Option) {
	if maxParallel == 0 && confirmer == nil {
		s.plainOpts.once.Do(func() {
			s.plainOpts.base = s.newEngineOptions(0, nil)
			s.plainOpts.plan = slices.Clip(planOptions(s.plainOpts.base, nil))
			s.plainOpts.eng = engine.New(s.cfg.Registry, s.plainOpts.plan...)
		})
		return s.plainOpts.base, s.plainOpts.plan
	}
	base = s.newEngineOptions(maxParallel, confirmer)
	return base, planOptions(base, nil)
}

func (s *Service) newEngineOptions(maxParallel int, confirmer engine.Confirmer) []engine.Option {
	opts := []engine.Option{engine.WithMaxParallel(maxParallel)}
	if s.cfg.RefuseSwappable {
		opts = append(opts, engine.RefuseSwappable())
	}
	if s.cfg.Audit != nil {
		opts = append(opts, engine.WithAuditor(s.cfg.Audit))
	}
	if confirmer != nil {
		opts = append(opts, engine.WithConfirmer(confirmer))
	}
	return slices.Clip(opts)
}

// plainOptions are engineOptions's of a run without a limit or a
// confirmer, made once, and the engine made with them.
type plainOptions struct {
	once       sync.Once
	base, plan []engine.Option
	eng        *engine.Engine
}

// oneShotPlan plans the one-step playbook of an execute on the engine of
// the plain options, made once: an execute's playbook is made for it
// alone, so nothing is kept with it, and planning it on an engine of its
// own built that engine and its call chain again for every execute. It
// reports false for a request that needs options of its own (a limit, a
// confirmer, the result cache). An execute runs no playbook.run, so the
// plans of sub-playbooks the engine keeps stay empty.
func (s *Service) oneShotPlan(req *Request, pb *steps.Playbook, confirmer engine.Confirmer, cached bool) (*engine.Plan, []engine.Option, bool) {
	if !req.oneShot || req.MaxParallel != 0 || confirmer != nil || cached {
		return nil, nil, false
	}
	_, opts := s.engineOptions(0, nil)
	return s.plainOpts.eng.Plan(pb), opts, true
}
