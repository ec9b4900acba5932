package runs

import (
	"strings"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/cache"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// usesCache tells whether a run of pb gets the result cache's middleware:
// it has a step that sets cache:, or a sub-playbook (whose steps may), and
// the service has a state dir to keep the results in. Without a state dir
// there is no cache: such steps run every time, and the service warns
// once per run. A playbook with no such step and no sub-playbook gets no
// middleware: it would pass every call through.
func (s *Service) usesCache(pb *steps.Playbook) bool {
	cached, subRuns := "", false // cached: the first step that sets cache:
	for _, st := range pb.AllSteps() {
		if st.Cache != nil && cached == "" {
			cached = st.ID
		}
		subRuns = subRuns || st.Op == steps.SubPlaybookOp
	}
	switch {
	case cached == "" && !subRuns:
		return false
	case s.store == nil:
		if cached != "" {
			s.warn("step %s has cache: but the run has no state dir (--state-dir or $ARSENAL_STATE_DIR); it runs uncached", cached)
		}
		return false
	}
	return true
}

// cacheOptions installs the result cache, in the state dir's history
// database, for the steps that set cache:, for a run of the caller's
// roles under policy. It holds nothing of one run: a plan made with it is
// kept with its playbook for every run of the same roles and policy
// (planKey).
//
// Under a grant, the entries of a playbook are its own (see
// auth.Policy.CacheNamespace): the namespace of each playbook the runs
// reach is worked out once for the roles, by the playbook's path and
// content, which is all it depends on besides them. A sub-playbook is
// loaded anew at each call, so at most maxSpaces are kept: past that, a
// namespace is worked out at each call.
func (s *Service) cacheOptions(policy *auth.Policy, roles []string) []engine.Option {
	var mu sync.Mutex
	spaces := map[string]string{}
	namespace := func(p *steps.Playbook) string {
		key := p.AbsPath() + "\x00" + p.SHA256
		mu.Lock()
		ns, ok := spaces[key]
		mu.Unlock()
		if ok {
			return ns
		}
		ns = policy.CacheNamespace(roles, p)
		mu.Lock()
		if len(spaces) < maxSpaces {
			spaces[key] = ns
		}
		mu.Unlock()
		return ns
	}
	return []engine.Option{engine.WithMiddleware(cache.Middleware(cache.Config{Store: s.store, Secret: s.key, Policy: policy, Namespace: namespace, Warn: s.warn}))}
}

// maxSpaces bounds the cache namespaces a kept plan remembers.
const maxSpaces = 64

// rolesKey is roles as one comparable value, for planKey: role names
// hold no NUL.
func rolesKey(roles []string) string {
	if len(roles) == 1 {
		return roles[0]
	}
	return strings.Join(roles, "\x00")
}
