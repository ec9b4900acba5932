package runs

import (
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/cache"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// cacheOptions installs the result cache for the steps that set cache:,
// in the state dir's history database. Without a state dir there is no
// cache: such steps run every time, and the service warns once per run.
// A playbook with no such step and no sub-playbook gets no middleware:
// it would pass every call through.
//
// Under a grant, the entries of a playbook are its own (see
// auth.Policy.CacheNamespace): the namespace of each playbook the run
// reaches is worked out once, for the caller's roles.
func (s *Service) cacheOptions(pb *steps.Playbook, policy *auth.Policy, roles []string) []engine.Option {
	cached, subRuns := "", false // cached: the first step that sets cache:
	for _, st := range pb.AllSteps() {
		if st.Cache != nil && cached == "" {
			cached = st.ID
		}
		subRuns = subRuns || st.Op == steps.SubPlaybookOp
	}
	switch {
	case cached == "" && !subRuns:
		return nil
	case s.store == nil:
		if cached != "" {
			s.warn("step %s has cache: but the run has no state dir (--state-dir or $ARSENAL_STATE_DIR); it runs uncached", cached)
		}
		return nil
	}
	var mu sync.Mutex
	spaces := map[*steps.Playbook]string{}
	namespace := func(p *steps.Playbook) string {
		mu.Lock()
		defer mu.Unlock()
		ns, ok := spaces[p]
		if !ok {
			ns = policy.CacheNamespace(roles, p)
			spaces[p] = ns
		}
		return ns
	}
	return []engine.Option{engine.WithMiddleware(cache.Middleware(cache.Config{Store: s.store, Secret: s.key, Policy: policy, Namespace: namespace, Warn: s.warn}))}
}
