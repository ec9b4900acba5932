package auth

import (
	"fmt"
	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"io"
	"math"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Limits of a policy file.
const (
	MaxPolicySize = 256 << 10
	MaxRoles      = 256
)

var policyLimits = yamlx.Limits{
	MaxFileSize: MaxPolicySize, MaxDepth: 16, MaxAliasNodes: 1000, MaxNodes: 50_000,
	SplitHint: "a policy this large is unlikely to be right", EmptyHint: "a policy needs version and roles",
}

var (
	roleNameRE    = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	sha256RE      = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	risks         = []string{"read", "write", "destructive"}
	roleKeys      = []string{"description", "inherits", "allow", "deny", "max_risk", "file_roots", "http", "signal_others", "require_sandbox", "playbooks", "hosts"}
	httpKeys      = []string{"allow_hosts", "deny_hosts", "allow_cidrs", "deny_cidrs", "deny_private", "deny_loopback", "deny_link_local"}
	grantKeys     = []string{"path", "sha256", "as", "inputs"}
	inputRuleKeys = []string{"enum", "min", "max", "pattern"}
	identRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// LoadPolicy reads a policy file. Its roles are added to the built-in ones
// (viewer, operator, admin), replacing any of the same name. Every problem
// is reported at once with its position, as yamlx.Diagnostics.
func LoadPolicy(path string, reg *ops.Registry) (*Policy, error) {
	f, err := fsx.Open(path) // never blocks on a FIFO; refuses what is not a regular file
	if err != nil {
		return nil, yamlx.Diagnostics{{File: path, Pos: yamlx.Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("cannot read the policy: %v", err)}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPolicySize+1))
	if err != nil {
		return nil, yamlx.Diagnostics{{File: path, Pos: yamlx.Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("cannot read the policy: %v", err)}}
	}
	// A step may not rewrite the rules it is judged by.
	fsroot.Protect(path, "policy file")
	return ParsePolicy(path, data, reg)
}

// ParsePolicy reads a policy held in memory; file names it in diagnostics
// and anchors relative paths.
func ParsePolicy(file string, data []byte, reg *ops.Registry) (*Policy, error) {
	d := &yamlx.Diags{File: file}
	dir, _ := filepath.Abs(filepath.Dir(file))
	p := Builtin()
	p.File, p.Dir = file, dir
	root := yamlx.Parse(data, policyLimits, d)
	if root == nil {
		return nil, d.Err()
	}
	l := &policyLoader{d: d, p: p, reg: reg, pos: map[string]yamlx.Pos{}}
	versionSeen := false
	yamlx.Fields(root, "the policy", []string{"version", "roles", "rate", "cache"}, d, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			versionSeen = true
			if n, ok := yamlx.Int(v, "version", 0, 1<<20, d); ok && n != 1 {
				d.Add(yamlx.PosOf(v), "unknown policy version %d; this arsenal-run reads version 1", n)
			}
		case "roles":
			l.roles(v)
		case "rate":
			l.rate(v)
		case "cache":
			l.cache(v)
		}
	})
	if !versionSeen {
		d.Add(yamlx.PosOf(root), "missing version; add `version: 1` at the top")
	}
	l.check()
	if err := d.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

type policyLoader struct {
	d   *yamlx.Diags
	p   *Policy
	reg *ops.Registry
	pos map[string]yamlx.Pos // where each role of the file is defined
	ref []roleRef            // role names used, checked once all are known
}

type roleRef struct {
	name string
	pos  yamlx.Pos
	what string
}

func (l *policyLoader) roles(n *yaml.Node) {
	pairs, ok := yamlx.Pairs(n, "roles", l.d)
	if !ok {
		return
	}
	if len(pairs) > MaxRoles {
		l.d.Add(yamlx.PosOf(n), "%d roles, over the limit of %d", len(pairs), MaxRoles)
		return
	}
	for _, pr := range pairs {
		if !roleNameRE.MatchString(pr.Key) {
			l.d.Add(yamlx.PosOf(pr.K), "role name %q: use lower-case letters, digits, - and _", yamlx.Truncate(pr.Key, 40))
			continue
		}
		r := &Role{Name: pr.Key}
		l.pos[pr.Key] = yamlx.PosOf(pr.K)
		yamlx.Fields(pr.V, "role "+pr.Key, roleKeys, l.d, func(key string, k, v *yaml.Node) {
			switch key {
			case "description":
				yamlx.Str(v, "description", l.d)
			case "inherits":
				for _, c := range l.list(v, "inherits") {
					r.Inherits = append(r.Inherits, c.s)
					l.ref = append(l.ref, roleRef{c.s, c.pos, "inherits"})
				}
			case "allow":
				r.Allow = l.patterns(v, "allow")
			case "deny":
				r.Deny = l.patterns(v, "deny")
			case "max_risk":
				if s, ok := yamlx.Str(v, "max_risk", l.d); ok {
					if !yamlx.Contains(risks, s) {
						l.d.Add(yamlx.PosOf(v), "unknown risk %q; use read, write or destructive", s)
					}
					r.MaxRisk = ops.Risk(s)
				}
			case "file_roots":
				r.FileRoots = []string{}
				for _, c := range l.list(v, "file_roots") {
					p := c.s
					if !filepath.IsAbs(p) {
						p = filepath.Join(l.p.Dir, p)
					}
					r.FileRoots = append(r.FileRoots, filepath.Clean(p))
				}
			case "http":
				r.HTTP = l.http(v)
			case "signal_others":
				if b, ok := yamlx.Bool(v, "signal_others", l.d); ok {
					r.SignalOthers = &b
				}
			case "require_sandbox":
				r.RequireSandbox = l.sandbox(v)
			case "hosts":
				r.Hosts = l.hostPatterns(v)
			case "playbooks":
				r.Playbooks = l.grants(v)
				for i := range r.Playbooks {
					r.Playbooks[i].Role = r.Name
				}
			}
		})
		l.p.Roles[pr.Key] = r
	}
}

type item struct {
	s   string
	pos yamlx.Pos
}

func (l *policyLoader) list(n *yaml.Node, what string) []item {
	n = yamlx.Deref(n)
	if n.Kind != yaml.SequenceNode {
		l.d.Add(yamlx.PosOf(n), "%s must be a list, not %s", what, yamlx.KindName(n))
		return nil
	}
	var out []item
	for _, c := range n.Content {
		if s, ok := yamlx.Str(c, "each item of "+what, l.d); ok {
			out = append(out, item{s, yamlx.PosOf(yamlx.Deref(c))})
		}
	}
	return out
}

func (l *policyLoader) patterns(n *yaml.Node, what string) []string {
	var out []string
	for _, c := range l.list(n, what) {
		p := c.s
		switch {
		case p == "*":
		case strings.HasSuffix(p, ".*"):
			cat := strings.TrimSuffix(p, ".*")
			if l.reg != nil && len(l.reg.List(cat)) == 0 {
				l.d.Add(c.pos, "%s pattern %q names no category of operations%s", what, p, suggest.DidYouMean(cat, l.reg.Categories()))
			}
		default:
			if l.reg != nil {
				if _, err := l.reg.Get(p); err != nil {
					l.d.Add(c.pos, "%s: %v", what, err)
				}
			}
		}
		out = append(out, p)
	}
	return out
}

func (l *policyLoader) http(n *yaml.Node) *HTTPRules {
	h := &HTTPRules{}
	yamlx.Fields(n, "http", httpKeys, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "allow_hosts":
			h.AllowHosts = strs(l.list(v, key))
		case "deny_hosts":
			h.DenyHosts = strs(l.list(v, key))
		case "allow_cidrs":
			h.AllowCIDRs = l.cidrs(v, key)
		case "deny_cidrs":
			h.DenyCIDRs = l.cidrs(v, key)
		case "deny_private":
			h.DenyPrivate, _ = yamlx.Bool(v, key, l.d)
		case "deny_loopback":
			h.DenyLoopback, _ = yamlx.Bool(v, key, l.d)
		case "deny_link_local":
			h.DenyLinkLocal, _ = yamlx.Bool(v, key, l.d)
		}
	})
	return h
}

// sandbox reads require_sandbox: true, false, or the limits a required
// sandbox must keep to, written as in shell.exec's sandbox param.
func (l *policyLoader) sandbox(n *yaml.Node) *SandboxRequirement {
	n = yamlx.Deref(n)
	if n.Kind != yaml.MappingNode {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			l.d.Add(yamlx.PosOf(n), "require_sandbox takes true, false, or limits like {network: false, memory: 512Mi, processes: 64}, not %s", yamlx.KindName(n))
			return nil
		}
		b, _ := yamlx.Bool(n, "require_sandbox", l.d)
		return &SandboxRequirement{Required: b, Limits: *(&sandbox.Limits{}).Requirement()}
	}
	var lim sandbox.Limits
	yamlx.Fields(n, "require_sandbox", sandbox.Keys, l.d, func(key string, k, v *yaml.Node) {
		if err := lim.Set(key, yamlx.Plain(v, l.d)); err != nil {
			l.d.Add(yamlx.PosOf(yamlx.Deref(v)), "require_sandbox %v", err)
		}
	})
	return &SandboxRequirement{Required: true, Limits: *lim.Requirement()}
}

func strs(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = strings.ToLower(it.s)
	}
	return out
}

func (l *policyLoader) cidrs(n *yaml.Node, what string) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range l.list(n, what) {
		p, err := netip.ParsePrefix(c.s)
		if err != nil {
			if a, aerr := netip.ParseAddr(c.s); aerr == nil {
				p, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			l.d.Add(c.pos, "%s: %q is not a CIDR like 10.0.0.0/8 or an address", what, c.s)
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}

func (l *policyLoader) grants(n *yaml.Node) []Grant {
	n = yamlx.Deref(n)
	if n.Kind != yaml.SequenceNode {
		l.d.Add(yamlx.PosOf(n), "playbooks must be a list of {path, sha256, as, inputs}")
		return nil
	}
	var out []Grant
	for _, c := range n.Content {
		var g Grant
		yamlx.Fields(c, "a playbook grant", grantKeys, l.d, func(key string, k, v *yaml.Node) {
			switch key {
			case "path":
				g.Path, _ = yamlx.Str(v, "path", l.d)
			case "sha256":
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
				g.Inputs = l.inputRules(v)
			}
		})
		if g.Path == "" || g.As == "" {
			l.d.Add(yamlx.PosOf(yamlx.Deref(c)), "a playbook grant needs path and as (the role whose rights the playbook runs with)")
			continue
		}
		out = append(out, g)
	}
	return out
}

// inputRules reads a grant's inputs: by input name, a list of allowed
// values, or a mapping of enum, min, max and pattern.
func (l *policyLoader) inputRules(n *yaml.Node) map[string]*steps.Constraint {
	pairs, ok := yamlx.Pairs(n, "inputs", l.d)
	if !ok {
		return nil
	}
	out := make(map[string]*steps.Constraint, len(pairs))
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
	}
	return out
}

func (l *policyLoader) enum(n *yaml.Node, input string) []any {
	list, _ := yamlx.Plain(n, l.d).([]any)
	if len(list) == 0 {
		l.d.Add(yamlx.PosOf(n), "inputs.%s: the list of allowed values is empty", input)
	}
	return list
}

// check verifies role references and inheritance cycles.
func (l *policyLoader) check() {
	for _, r := range l.ref {
		if _, ok := l.p.Roles[r.name]; !ok {
			l.d.Add(r.pos, "%s names unknown role %q%s", r.what, r.name, suggest.DidYouMean(r.name, l.p.RoleNames()))
		}
	}
	for _, name := range l.p.RoleNames() {
		if path := l.cycle(name, nil); path != nil {
			l.d.Add(l.pos[name], "roles inherit in a cycle: %s", strings.Join(path, " -> "))
			return
		}
	}
}

func (l *policyLoader) cycle(name string, stack []string) []string {
	for i, s := range stack {
		if s == name {
			return append(append([]string{}, stack[i:]...), name)
		}
	}
	r, ok := l.p.Roles[name]
	if !ok {
		return nil
	}
	for _, in := range r.Inherits {
		if c := l.cycle(in, append(stack, name)); c != nil {
			return c
		}
	}
	return nil
}
