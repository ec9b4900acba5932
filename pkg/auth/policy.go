// Package auth decides who may run what: roles, policy files, the
// preflight check of a playbook before anything runs, delegation to pinned
// runbooks, the resource scopes operations consult at run time, and the
// audit log.
package auth

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Policy maps roles to what they may run. It is immutable once built and
// safe for concurrent use.
type Policy struct {
	File  string // where it was loaded from; "" for the built-in policy
	Dir   string // grant paths are relative to it
	Roles map[string]*Role
	Rate  RateLimits  // request rates for a server; see rate.go
	Cache CachePolicy // the write operations steps may cache
	// Warnings are what the loader found likely wrong without refusing
	// the policy, sorted by position: such as a role that denies
	// process.kill and may still start programs. Whoever loads the policy
	// shows them.
	Warnings yamlx.Diagnostics
	// unsandboxed are the operations of the registry the policy was
	// loaded with that start programs no sandbox holds (plugins): a role
	// that requires a sandbox is denied them, as process.start.
	unsandboxed map[string]bool
	// sets are the role sets Subject has built (see roleSet): a Policy
	// must not change once Subject is called.
	sets *roleSets
}

// Role is one role of a policy.
type Role struct {
	Name     string
	Inherits []string
	Allow    []string // op patterns: exact name, "category.*" or "*"
	Deny     []string
	// MaxRisk allows every operation up to this risk; "" allows none by
	// risk.
	MaxRisk ops.Risk
	// FileRoots limits the file operations to these directory trees; nil
	// leaves the default (the working directory and the temp directory).
	FileRoots []string
	HTTP      *HTTPRules
	// SignalOthers says whether the role may signal processes that
	// arsenal-run did not start; nil leaves it allowed.
	SignalOthers *bool
	// RequireSandbox is the role's require_sandbox; nil when the role does
	// not say.
	RequireSandbox *SandboxRequirement
	// Playbooks are delegation grants: runbooks this role may run with the
	// rights of another role.
	Playbooks []Grant
	// Hosts are the machines the ssh.* operations may act on: inventory
	// host names, groups, tag:NAME or "*"; nil leaves every host allowed.
	Hosts []string
}

// SandboxRequirement is a role's require_sandbox. When Required,
// shell.exec steps must set sandbox:, run with at most Limits (no network
// unless Limits allow it; a limit the step leaves out is taken from
// Limits), and process.start, which cannot be sandboxed, is denied.
// Required false is an explicit `require_sandbox: false`.
type SandboxRequirement struct {
	Required bool
	Limits   sandbox.Limits
}

// Grant lets a role run one checked-in playbook with the rights of role As.
// It pins the file and the inputs: a run that the grant authorizes may set
// an input only when Inputs or the playbook itself constrains it (see
// Subject.CheckInputs).
type Grant struct {
	Path   string // relative to the policy file's directory
	SHA256 string // optional pin; an edited playbook voids the grant
	As     string
	Role   string // the role the grant belongs to
	// Inputs constrain, by input name, the values a caller may set.
	Inputs map[string]*steps.Constraint
	// InputsAt is where each input of Inputs is named in the policy file.
	InputsAt map[string]yamlx.Pos
}

// HTTPRules restrict where http.request and other network operations may
// connect. Hosts are names or "*.suffix" patterns; checks on addresses
// happen after resolution, at dial time, on every redirect too.
type HTTPRules struct {
	AllowHosts    []string
	DenyHosts     []string
	AllowCIDRs    []netip.Prefix
	DenyCIDRs     []netip.Prefix
	DenyPrivate   bool // RFC 1918 and fc00::/7
	DenyLoopback  bool // loopback, unspecified and this host's own addresses
	DenyLinkLocal bool // link-local unicast and multicast
}

// The built-in roles.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// DefaultRole is the caller's role when none is given.
const DefaultRole = RoleOperator

// Builtin returns the policy used without --policy: viewer may run read
// operations, operator read and write, admin everything.
func Builtin() *Policy {
	p := &Policy{Roles: map[string]*Role{
		RoleViewer:   {Name: RoleViewer, MaxRisk: ops.RiskRead},
		RoleOperator: {Name: RoleOperator, MaxRisk: ops.RiskWrite},
		RoleAdmin:    {Name: RoleAdmin, Allow: []string{"*"}},
	}}
	p.sets = &roleSets{owner: p}
	return p
}

// Decision is the outcome of one authorization check and the rule that
// made it.
type Decision struct {
	Allowed bool
	Rule    string
	// Via is "direct", or the grant that delegated the right.
	Via string
	// Params is set on a refusal of a call whose operation the roles (or
	// the grant) allow: what refused it is a param or an input (a path
	// outside the file roots, a target the network rules deny, a host, a
	// sandbox, a sub-playbook it may not read, an input the grant does not
	// let the caller set, a resumed report the grant cannot trust), so the
	// fix is to the call, not a key or role that may run the operation.
	Params bool
	// Shape is set, with Params, on a refusal that no role or policy
	// lifts: the playbook lets a caller aim a secret it did not give at
	// an address of theirs. The fix is to the call or to the playbook.
	Shape bool
}

// rule is one allow, deny or risk rule with the role it came from.
type rule struct {
	role    string
	pattern string // "" for a max_risk rule
	deny    bool
	risk    ops.Risk
}

// specificity ranks patterns: an exact name beats "category.*", which beats
// "*" and risk rules.
func (r rule) specificity() int {
	switch {
	case r.pattern == "" || r.pattern == "*":
		return 0
	case strings.HasSuffix(r.pattern, ".*"):
		return 1
	}
	return 2
}

func (r rule) matches(op string, risk ops.Risk) bool {
	if r.pattern == "" {
		return risk.Rank() <= r.risk.Rank()
	}
	return Match(r.pattern, op)
}

// String names the rule in a decision. It is built on every decision, so
// by concatenation rather than fmt.
func (r rule) String() string {
	switch {
	case r.pattern == "":
		return "role " + r.role + ": max_risk " + string(r.risk)
	case r.deny:
		return "role " + r.role + ": deny " + r.pattern
	}
	return "role " + r.role + ": allow " + r.pattern
}

// Match reports whether an op name matches a pattern: "*", "category.*" or
// an exact name.
func Match(pattern, op string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasSuffix(pattern, ".*"):
		return strings.HasPrefix(op, strings.TrimSuffix(pattern, "*"))
	}
	return pattern == op
}

// expand returns the roles and everything they inherit, each once.
func (p *Policy) expand(roles []string) ([]*Role, error) {
	var out []*Role
	seen := map[string]bool{}
	var visit func(name string, via string) error
	visit = func(name, via string) error {
		if seen[name] {
			return nil
		}
		r, ok := p.Roles[name]
		if !ok {
			if via != "" {
				return fmt.Errorf("role %s inherits unknown role %q", via, name)
			}
			return fmt.Errorf("unknown role %q; the policy defines %s", name, strings.Join(p.RoleNames(), ", "))
		}
		seen[name] = true
		out = append(out, r)
		for _, in := range r.Inherits {
			if err := visit(in, name); err != nil {
				return err
			}
		}
		return nil
	}
	for _, name := range roles {
		if err := visit(name, ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RoleNames lists the policy's roles, sorted.
func (p *Policy) RoleNames() []string {
	names := make([]string, 0, len(p.Roles))
	for n := range p.Roles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// DefaultRootRoles lists, sorted, those of roles (every role of the
// policy when roles is nil) whose file operations take the default roots,
// the working directory and the temp directory: neither the role nor one
// it inherits sets file_roots. A role the policy does not have is left
// out.
func (p *Policy) DefaultRootRoles(roles []string) []string {
	if roles == nil {
		roles = p.RoleNames()
	}
	var out []string
	for _, name := range roles {
		rs, err := p.expand([]string{name})
		if err != nil || slices.Contains(out, name) {
			continue
		}
		if !slices.ContainsFunc(rs, func(r *Role) bool { return r.FileRoots != nil }) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func rulesOf(roles []*Role) []rule {
	var out []rule
	for _, r := range roles {
		for _, d := range r.Deny {
			out = append(out, rule{role: r.Name, pattern: d, deny: true})
		}
		for _, a := range r.Allow {
			out = append(out, rule{role: r.Name, pattern: a})
		}
		if r.MaxRisk != "" {
			out = append(out, rule{role: r.Name, risk: r.MaxRisk})
		}
	}
	return out
}

// decide applies rules: the most specific matching rule wins; at equal
// specificity a deny wins. No matching rule denies.
func decide(rules []rule, op string, risk ops.Risk, roles []string) Decision {
	best := -1
	for i, r := range rules {
		if !r.matches(op, risk) {
			continue
		}
		if best < 0 || r.specificity() > rules[best].specificity() ||
			(r.specificity() == rules[best].specificity() && r.deny && !rules[best].deny) {
			best = i
		}
	}
	if best < 0 {
		return Decision{Rule: fmt.Sprintf("no rule of role %s allows %s (risk %s)", strings.Join(roles, ", "), op, risk)}
	}
	return Decision{Allowed: !rules[best].deny, Rule: rules[best].String()}
}

// grantFor returns the grant of any of the roles that covers the playbook
// at path with the given content hash, and why a grant that names the path
// does not apply. path is the playbook's steps.Playbook.AbsPath, made
// absolute when it was loaded; one that is still relative (a playbook
// built in memory) is resolved against the working directory.
func (p *Policy) grantFor(roles []*Role, path, sha string) (*Grant, string) {
	if !slices.ContainsFunc(roles, func(r *Role) bool { return len(r.Playbooks) > 0 }) {
		return nil, "" // no grants: spare the path's resolution, which reads the working directory
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, ""
	}
	var why string
	for _, r := range roles {
		for i := range r.Playbooks {
			g := &r.Playbooks[i]
			gp := g.Path
			if !filepath.IsAbs(gp) {
				gp = filepath.Join(p.Dir, gp)
			}
			if filepath.Clean(gp) != abs {
				continue
			}
			if g.SHA256 != "" && !strings.EqualFold(g.SHA256, sha) {
				why = fmt.Sprintf("the grant of %s to role %s is pinned to sha256 %s but the file is %s: it was edited; review it and update the policy", g.Path, r.Name, short(g.SHA256), short(sha))
				continue
			}
			return g, ""
		}
	}
	return nil, why
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
