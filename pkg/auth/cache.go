package auth

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// CachePolicy says which operations a step may cache besides the read
// ones: a cached write would skip the change it makes, so it has to be
// asked for by name, as in `cache: {allow: [shell.exec]}`.
type CachePolicy struct {
	Allow []string // operation names
}

var cacheKeys = []string{"allow"}

// CacheAllowed reports whether a step of op at risk may use the result
// cache: read operations may, others only when the policy names them.
func (p *Policy) CacheAllowed(op string, risk ops.Risk) bool {
	return risk == ops.RiskRead || p != nil && slices.Contains(p.Cache.Allow, op)
}

// CacheProblems lists the steps of pb (sub-playbooks are checked when they
// run) whose cache: the policy does not allow, with their positions. A
// step whose risk depends on a parameter that is still an expression
// counts at its highest risk. A step whose op is unknown is passed over:
// its op is the problem, reported by the loader (see CacheCheck).
func (p *Policy) CacheProblems(pb *steps.Playbook) steps.Diagnostics {
	var out steps.Diagnostics
	for _, s := range pb.AllSteps() {
		if s.Cache == nil || s.Entry == nil || s.Risk == "" || p.CacheAllowed(s.Op, s.Risk) {
			continue
		}
		out = append(out, &yamlx.Diagnostic{File: pb.File, Pos: s.Cache.Pos, Msg: CacheRefusal(s.Op, s.Risk)})
	}
	return out
}

// CacheCheck is the load option that reports CacheProblems with the
// playbook's other problems, in one validate, rather than only once the
// playbook loads: steps.Load(path, reg, p.CacheCheck()).
func (p *Policy) CacheCheck() steps.LoadOption {
	return steps.WithCheck(p.CacheProblems)
}

// CacheRefusal explains why a step of op at risk may not be cached.
func CacheRefusal(op string, risk ops.Risk) string {
	return fmt.Sprintf("cache: %s is a %s operation, and only read operations are cached: a cache hit would skip the change it makes; "+
		"remove cache:, or allow it in the policy with `cache: {allow: [%s]}`", op, risk, op)
}

// cache reads the policy's cache: section.
func (l *policyLoader) cache(n *yaml.Node) {
	yamlx.Fields(n, "cache", cacheKeys, l.d, func(key string, k, v *yaml.Node) {
		for _, c := range l.list(v, "cache.allow") {
			if l.reg != nil {
				if _, err := l.reg.Get(c.s); err != nil {
					l.d.Add(c.pos, "cache.allow: %v", err)
					continue
				}
			}
			l.p.Cache.Allow = append(l.p.Cache.Allow, c.s)
		}
	})
}

// CacheNamespace is what keeps the result cache of a run of pb by roles
// apart from every other: "" when no grant applies to pb (its entries are
// shared by cache key with other playbooks), else the grant and the
// playbook's resolved path and content. A granted playbook then never
// reads an entry that the caller's own playbooks, or another playbook,
// wrote under the same key (a chosen list of files for its delete to
// take), and nothing else reads what it found with the grant's rights.
func (p *Policy) CacheNamespace(roles []string, pb *steps.Playbook) string {
	if p == nil || pb == nil {
		return ""
	}
	direct, err := p.expand(roles)
	if err != nil {
		return ""
	}
	g, _ := p.grantFor(direct, pb.AbsPath(), pb.SHA256)
	if g == nil {
		return ""
	}
	return fmt.Sprintf("grant of %s as %s to role %s (policy %s); playbook %s sha256 %s", g.Path, g.As, g.Role, p.File, pb.AbsPath(), pb.SHA256)
}
