package runs

import (
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/cache"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// cacheOptions installs the result cache for the steps that set cache:,
// in the state dir's history database. Without a state dir there is no
// cache: such steps run every time, and the service warns once per run.
func (s *Service) cacheOptions(pb *steps.Playbook, policy *auth.Policy) []engine.Option {
	if s.store == nil {
		for _, st := range pb.AllSteps() {
			if st.Cache != nil {
				s.warn("step %s has cache: but the run has no state dir (--state-dir or $ARSENAL_STATE_DIR); it runs uncached", st.ID)
				break
			}
		}
		return nil
	}
	return []engine.Option{engine.WithMiddleware(cache.Middleware(cache.Config{Store: s.store, Secret: s.key, Policy: policy, Warn: s.warn}))}
}
