package auth

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// An indentation slip moves a role's key out to where role names go
// (`allow:` two spaces in, under roles:), or a role out to where the
// policy's own keys go (`oncall:` at the start of the line). Read as
// written, the first is a role named "allow" and the second an unknown
// key of the policy, and neither message says what went wrong; these say
// where the line belongs.

// looksLikeRole reports whether n could be a role's body: a mapping whose
// keys are all keys of a role.
func looksLikeRole(n *yaml.Node) bool {
	n = yamlx.Deref(n)
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return false
	}
	for i := 0; i < len(n.Content); i += 2 {
		if k := yamlx.Deref(n.Content[i]); k.Kind != yaml.ScalarNode || !yamlx.Contains(roleKeys, k.Value) {
			return false
		}
	}
	return true
}

// misplacedRoleKey reports a role key written where a role name goes,
// saying under which role it belongs, and whether it did.
func (l *policyLoader) misplacedRoleKey(pairs []yamlx.Pair, i int) bool {
	pr := pairs[i]
	if !yamlx.Contains(roleKeys, pr.Key) || looksLikeRole(pr.V) {
		return false
	}
	j := i - 1
	for j >= 0 && yamlx.Contains(roleKeys, pairs[j].Key) && !looksLikeRole(pairs[j].V) {
		j--
	}
	if j < 0 {
		l.d.Add(yamlx.PosOf(pr.K), "%q is a key of a role, but it is indented as a role's name: put it under a role, like `roles: {oncall: {%s: ...}}`", pr.Key, pr.Key)
		return true
	}
	prev := pairs[j]
	col := prev.K.Column + 2
	if v := yamlx.Deref(prev.V); v.Kind == yaml.MappingNode && len(v.Content) > 0 && v.Style&yaml.FlowStyle == 0 {
		col = v.Content[0].Column
	}
	l.d.Add(yamlx.PosOf(pr.K), "%q is a key of a role, but it is indented as a role's name, so role %s above (line %d) does not get it: indent it to column %d, under %s:, as that role's other keys",
		pr.Key, prev.Key, prev.K.Line, col, prev.Key)
	return true
}

// rolesHint says more about an unknown key of the policy whose value is a
// role's body: the role was written without indenting it under roles:.
func rolesHint(root *yaml.Node) func(string) string {
	bodies := map[string]bool{}
	if pairs, ok := yamlx.Pairs(root, "the policy", &yamlx.Diags{}); ok {
		for _, p := range pairs {
			bodies[p.Key] = looksLikeRole(p.V)
		}
	}
	return func(key string) string {
		if !bodies[key] {
			return ""
		}
		return fmt.Sprintf(" (it reads as a role: a role goes under roles:, indented by two spaces, and its keys by two more, like `roles: {%s: {...}}`)", key)
	}
}

// deadAllows refuses an allow pattern that the same role also denies:
// at equal specificity deny wins, so the allow never takes effect, and
// which of the two was meant is for the author to say.
func (l *policyLoader) deadAllows(r *Role, allowAt, denyAt []yamlx.Pos) {
	for i, a := range r.Allow {
		for j, d := range r.Deny {
			if a != d {
				continue
			}
			l.d.Add(allowAt[i], "role %s both allows and denies %q (deny at line %d, column %d), and deny wins, so this allow never takes effect: remove the deny to allow it, or this allow to deny it", r.Name, a, denyAt[j].Line, denyAt[j].Col)
			break
		}
	}
}

// allowSite is one allow pattern of a role of the file.
type allowSite struct {
	role, pattern string
	pos           yamlx.Pos
}

// noteRules records where r's allows and denies are written, for
// inheritedDenies.
func (l *policyLoader) noteRules(r *Role, allowAt, denyAt []yamlx.Pos) {
	for i, a := range r.Allow {
		l.allows = append(l.allows, allowSite{r.Name, a, allowAt[i]})
	}
	at := map[string]yamlx.Pos{}
	for i, d := range r.Deny {
		if _, seen := at[d]; !seen {
			at[d] = denyAt[i]
		}
	}
	l.denyAt[r.Name] = at
}

// inheritedDenies refuses an allow pattern that a role it inherits,
// however deeply, denies: a role's rules count together with those it
// inherits, and at equal specificity deny wins, so the allow never takes
// effect. An heir cannot override its parent's deny; a more specific allow
// can (an exact name over a denied category).
func (l *policyLoader) inheritedDenies() {
	for _, a := range l.allows {
		if _, dup := l.denyAt[a.role][a.pattern]; dup {
			continue // reported by deadAllows
		}
		if by, pos, ok := l.deniedAbove(a.role, a.pattern); ok {
			l.d.Add(a.pos, "role %s allows %q, but it inherits role %s, which denies it (line %d, column %d), and deny wins: a role's rules count together with those it inherits, so this allow never takes effect. To allow it in %s, stop inheriting %s (give %s what it needs of %s itself), or move that deny out of %s into the roles that need it; or remove this allow",
				a.role, a.pattern, by, pos.Line, pos.Col, a.role, by, a.role, by, by)
		}
	}
}

// deniedAbove finds the first role that role inherits, depth first in
// the order written, that denies pattern.
func (l *policyLoader) deniedAbove(role, pattern string) (string, yamlx.Pos, bool) {
	seen := map[string]bool{role: true}
	var visit func(name string) (string, yamlx.Pos, bool)
	visit = func(name string) (string, yamlx.Pos, bool) {
		r := l.p.Roles[name]
		if r == nil {
			return "", yamlx.Pos{}, false // an unknown role, reported already
		}
		for _, in := range r.Inherits {
			if seen[in] {
				continue
			}
			seen[in] = true
			if pos, ok := l.denyAt[in][pattern]; ok {
				return in, pos, true
			}
			if by, pos, ok := visit(in); ok {
				return by, pos, true
			}
		}
		return "", yamlx.Pos{}, false
	}
	return visit(role)
}

// deadMaxRisks warns of a max_risk that a deny "*" of its role, or of a
// role it inherits, makes dead: both rank below every named operation and
// category, and at equal specificity deny wins, so every operation the
// max_risk would allow is denied. The policy loads; the role allows only
// what it names.
func (l *policyLoader) deadMaxRisks() {
	names := make([]string, 0, len(l.riskAt))
	for n := range l.riskAt {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		at := l.riskAt[name]
		risk := l.p.Roles[name].MaxRisk
		if pos, ok := l.denyAt[name]["*"]; ok {
			l.d.Warn(at, "role %s sets max_risk %s, but it also denies \"*\" (line %d, column %d), and deny wins at equal specificity, so this max_risk never allows anything: allow by name or category (like \"process.*\") what the role needs, or remove the deny \"*\" to let max_risk decide",
				name, risk, pos.Line, pos.Col)
			continue
		}
		if by, pos, ok := l.deniedAbove(name, "*"); ok {
			l.d.Warn(at, "role %s sets max_risk %s, but it inherits role %s, which denies \"*\" (line %d, column %d), and deny wins at equal specificity: a role's rules count together with those it inherits, so this max_risk never allows anything. Allow by name or category (like \"process.*\") what %s needs, or stop inheriting %s",
				name, risk, by, pos.Line, pos.Col, name, by)
		}
	}
	l.deniedRisksAbove()
}

// deniedRisksAbove warns of a deny "*" in a role that inherits a
// max_risk: in the heir, as in the role that sets it, the deny wins at
// equal specificity, so the inherited max_risk never allows anything
// there. A max_risk that is dead in its own role is warned there only.
func (l *policyLoader) deniedRisksAbove() {
	names := make([]string, 0, len(l.denyAt))
	for n := range l.denyAt {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		pos, ok := l.denyAt[name]["*"]
		if !ok || l.p.Roles[name].MaxRisk != "" {
			continue // no deny "*", or deadMaxRisks warned at the max_risk
		}
		by, risk := l.riskAbove(name)
		if by == "" {
			continue
		}
		where := "built in"
		if at, ok := l.riskAt[by]; ok {
			where = fmt.Sprintf("line %d, column %d", at.Line, at.Col)
		}
		l.d.Warn(pos, "role %s denies \"*\", but it inherits max_risk %s from role %s (%s), and deny wins at equal specificity: a role's rules count together with those it inherits, so that max_risk never allows anything in %s. Allow by name or category (like \"process.*\") what %s needs, or remove this deny \"*\" to let max_risk decide",
			name, risk, by, where, name, name)
	}
}

// riskAbove finds the first role that role inherits, depth first in the
// order written, whose max_risk still allows something there, and that
// max_risk; "" when none does.
func (l *policyLoader) riskAbove(role string) (string, ops.Risk) {
	seen := map[string]bool{role: true}
	var visit func(name string) (string, ops.Risk)
	visit = func(name string) (string, ops.Risk) {
		r := l.p.Roles[name]
		if r == nil {
			return "", "" // an unknown role, reported already
		}
		for _, in := range r.Inherits {
			if seen[in] {
				continue
			}
			seen[in] = true
			p := l.p.Roles[in]
			if p == nil || slices.Contains(p.Deny, "*") {
				continue // unknown, or deadMaxRisks warned at its max_risk
			}
			if p.MaxRisk != "" {
				if _, _, dead := l.deniedAbove(in, "*"); !dead {
					return in, p.MaxRisk
				}
			}
			if by, risk := visit(in); by != "" {
				return by, risk
			}
		}
		return "", ""
	}
	return visit(role)
}
