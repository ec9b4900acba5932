package runs

import (
	"slices"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// engineOptions are the engine's options of a run with this limit and
// confirmer (nil: none), without the cache's and with them (see
// planOptions). Those of a run with neither, as every execute is, are
// made once: they depend on the service's settings alone.
func (s *Service) engineOptions(maxParallel int, confirmer engine.Confirmer) (base, plan []engine.Option) {
	if maxParallel == 0 && confirmer == nil {
		s.plainOpts.once.Do(func() {
			s.plainOpts.base = s.newEngineOptions(0, nil)
			s.plainOpts.plan = slices.Clip(planOptions(s.plainOpts.base, nil))
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
// confirmer, made once.
type plainOptions struct {
	once       sync.Once
	base, plan []engine.Option
}
