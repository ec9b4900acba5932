package auth

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// grants reads the playbooks: of role.
func (l *policyLoader) grants(n *yaml.Node, role string) []Grant {
	n = yamlx.Deref(n)
	if n.Kind != yaml.SequenceNode {
		l.d.Add(yamlx.PosOf(n), "playbooks must be a list of {path, sha256, as, inputs}")
		return nil
	}
	var out []Grant
	for _, c := range n.Content {
		g := Grant{Role: role}
		var at struct{ path, sha yamlx.Pos }
		yamlx.Fields(c, "a playbook grant", grantKeys, l.d, func(key string, k, v *yaml.Node) {
			switch key {
			case "path":
				g.Path, _ = yamlx.Str(v, "path", l.d)
				at.path = yamlx.PosOf(yamlx.Deref(v))
			case "sha256":
				at.sha = yamlx.PosOf(yamlx.Deref(v))
				if s, ok := yamlx.Str(v, "sha256", l.d); ok {
					if !sha256RE.MatchString(s) {
						l.d.Add(yamlx.PosOf(v), "sha256 must be 64 hex digits; compute it with sha256sum")
					}
					g.SHA256 = strings.ToLower(s)
				}
			case "as":
				if s, ok := yamlx.Str(v, "as", l.d); ok {
					g.As = s
					l.ref = append(l.ref, roleRef{s, yamlx.PosOf(yamlx.Deref(v)), "as"})
				}
			case "inputs":
				g.Inputs, g.InputsAt = l.inputRules(v)
			}
		})
		if g.Path == "" || g.As == "" {
			l.d.Add(yamlx.PosOf(yamlx.Deref(c)), "a playbook grant needs path and as (the role whose rights the playbook runs with)")
			continue
		}
		// A grant repeated through an alias (- *deploy) is named by it.
		restore := l.d.Within(c, func() string { return "a playbook grant of role " + role })
		l.grantOnce(g, at.path)
		l.grantSites = append(l.grantSites, grantSite{role: role, path: g.Path, pos: at.path, sha: at.sha, node: c, grant: g})
		restore()
		out = append(out, g)
	}
	return out
}

// grantOnce reports a second grant of the playbook g grants. grantFor
// takes the first grant of a path in role order and falls through to the
// next when a pinned one's hash no longer matches, so two grants of one
// runbook make which rights it runs with depend on order, and can let an
// edited runbook run under an unpinned grant. The path is resolved as
// grantFor resolves it.
func (l *policyLoader) grantOnce(g Grant, pos yamlx.Pos) {
	abs := g.Path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(l.p.Dir, abs)
	}
	abs = filepath.Clean(abs)
	first, dup := l.granted[abs]
	if !dup {
		l.granted[abs] = grantSite{role: g.Role, path: g.Path, pos: pos}
		return
	}
	name := fmt.Sprintf("%q", g.Path)
	if first.path != g.Path {
		name += fmt.Sprintf(" (written %q in the first grant)", first.path)
	}
	if first.role == g.Role {
		l.d.Add(pos, "playbook %s is granted twice by role %s, at %s and %s; keep one grant per runbook", name, g.Role, lineCol(first.pos), lineCol(pos))
		return
	}
	l.d.Add(pos, "playbook %s is granted twice: by role %s at %s and role %s at %s; keep one grant per runbook (a caller with both roles would get whichever grant comes first)",
		name, first.role, lineCol(first.pos), g.Role, lineCol(pos))
}

// lineCol writes a position as line:col.
func lineCol(p yamlx.Pos) string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// inputRules reads a grant's inputs: by input name, a list of allowed
// values, or a mapping of enum, min, max and pattern.
func (l *policyLoader) inputRules(n *yaml.Node) (map[string]*steps.Constraint, map[string]yamlx.Pos) {
	pairs, ok := yamlx.Pairs(n, "inputs", l.d)
	if !ok {
		return nil, nil
	}
	out := make(map[string]*steps.Constraint, len(pairs))
	at := make(map[string]yamlx.Pos, len(pairs))
	for _, pr := range pairs {
		if !identRE.MatchString(pr.Key) {
			l.d.Add(yamlx.PosOf(pr.K), "input name %q: use the name the runbook declares under inputs", yamlx.Truncate(pr.Key, 40))
			continue
		}
		c := &steps.Constraint{}
		before := len(l.d.List)
		v := yamlx.Deref(pr.V)
		switch v.Kind {
		case yaml.SequenceNode:
			if c.Enum = l.enum(v, pr.Key); len(c.Enum) == 0 {
				continue
			}
		case yaml.MappingNode:
			yamlx.Fields(v, "inputs."+pr.Key, inputRuleKeys, l.d, func(key string, k, v *yaml.Node) {
				switch key {
				case "enum":
					if yamlx.Deref(v).Kind != yaml.SequenceNode {
						l.d.Add(yamlx.PosOf(v), "inputs.%s.enum must be a list of allowed values", pr.Key)
						return
					}
					c.Enum = l.enum(yamlx.Deref(v), pr.Key)
				case "min", "max":
					if f, ok := yamlx.Number(v, "inputs."+pr.Key+"."+key, -math.MaxFloat64, math.MaxFloat64, l.d); ok {
						if key == "min" {
							c.Min = &f
						} else {
							c.Max = &f
						}
					}
				case "pattern":
					if s, ok := yamlx.Str(v, "inputs."+pr.Key+".pattern", l.d); ok {
						if err := c.SetPattern(s); err != nil {
							l.d.Add(yamlx.PosOf(v), "inputs.%s: %v", pr.Key, err)
						}
					}
				}
			})
			if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
				l.d.Add(yamlx.PosOf(pr.V), "inputs.%s: min %v is above max %v", pr.Key, *c.Min, *c.Max)
			} else if len(l.d.List) == before && l.holdsNever(pr.Key, c, yamlx.PosOf(pr.V)) {
				continue
			}
		default:
			l.d.Add(yamlx.PosOf(pr.V), "inputs.%s must be a list of allowed values, or a mapping of enum, min, max and pattern", pr.Key)
			continue
		}
		if c.IsZero() && len(l.d.List) == before {
			l.d.Add(yamlx.PosOf(pr.V), "inputs.%s allows every value; give allowed values, min, max or pattern, or drop it so the input keeps its default", pr.Key)
			continue
		}
		out[pr.Key] = c
		at[pr.Key] = yamlx.PosOf(pr.K)
	}
	return out, at
}

func (l *policyLoader) enum(n *yaml.Node, input string) []any {
	list, _ := yamlx.Plain(n, l.d).([]any)
	if len(list) == 0 {
		l.d.Add(yamlx.PosOf(n), "inputs.%s: the list of allowed values is empty", input)
	}
	return list
}
