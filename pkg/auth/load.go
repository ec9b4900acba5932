package auth

import (
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
)

// Limits of a policy file.
const (
	MaxPolicySize = 256 << 10
	MaxRoles      = 256
)

var policyLimits = yamlx.Limits{
	MaxFileSize: MaxPolicySize, MaxDepth: 16, MaxAliasNodes: 1000, MaxNodes: 50_000,
	SplitHint: "a policy this large is unlikely to be right: check that the path names the policy file", EmptyHint: "a policy needs version and roles",
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
// is reported at once with its position, as yamlx.Diagnostics; a policy
// that loads carries its warnings in Policy.Warnings.
func LoadPolicy(path string, reg *ops.Registry) (*Policy, error) {
	f, err := fsx.Open(path) // never blocks on a FIFO; refuses what is not a regular file
	// A file that does not open, or is not to be trusted, has no line:
	// the diagnostic names the file alone (Pos zero).
	if err != nil {
		return nil, yamlx.Diagnostics{{File: path, Msg: fsx.Unreadable("the policy", path, err)}}
	}
	defer f.Close()
	if msg := fsx.AnyoneMayWrite(f, path, "the policy", "give any role any operation"); msg != "" {
		return nil, yamlx.Diagnostics{{File: path, Msg: msg}}
	}
	if err := yamlx.Oversize(f, path, policyLimits); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxPolicySize+1))
	if err != nil {
		return nil, yamlx.Diagnostics{{File: path, Msg: fsx.Unreadable("the policy", path, err)}}
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
	// Nothing is remembered of role sets until the policy is whole: a
	// check made while it loads (before its plugins are marked
	// unsandboxed, say) must not be served to a run.
	p.sets = nil
	root := yamlx.Parse(data, policyLimits, d)
	if root == nil {
		return nil, misfiled(file, data, d.Err())
	}
	l := &policyLoader{d: d, p: p, reg: reg, pos: map[string]yamlx.Pos{}, granted: map[string]grantSite{}, denyAt: map[string]map[string]yamlx.Pos{}, riskAt: map[string]yamlx.Pos{}}
	versionSeen := false
	yamlx.FieldsHint(root, "the policy", []string{"version", "roles", "rate", "cache"}, rolesHint(root), d, func(key string, k, v *yaml.Node) {
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
	if d.Err() == nil {
		// A runbook is read for a policy that is otherwise right.
		l.grantRunbooks()
	}
	if err := d.Err(); err != nil {
		return nil, misfiled(file, data, err)
	}
	l.warnUnboundLimits()
	p.Warnings = d.Warnings()
	if reg != nil {
		for _, e := range reg.List("") {
			if e.Spec.Unsandboxed {
				if p.unsandboxed == nil {
					p.unsandboxed = map[string]bool{}
				}
				p.unsandboxed[e.Spec.Name] = true
			}
		}
	}
	p.sets = &roleSets{owner: p}
	return p, nil
}

// misfiled is err, the problems of reading data as a policy, unless data
// is another of arsenal-run's files (a keys file given as --policy): then
// the one problem that says so, and which flag takes it.
func misfiled(file string, data []byte, err error) error {
	if ds, ok := yamlx.Misfiled(file, data, yamlx.KindPolicy); ok {
		return ds
	}
	return err
}

type policyLoader struct {
	d   *yamlx.Diags
	p   *Policy
	reg *ops.Registry
	pos map[string]yamlx.Pos // where each role of the file is defined
	ref []roleRef            // role names used, checked once all are known
	// granted is where each playbook, by resolved path, is first granted:
	// grantFor takes the first grant of a path in role order, so a second
	// one is either dead or, when the first is pinned to an old hash, a
	// silent fallback.
	granted map[string]grantSite
	// denyAt is where each deny pattern of each role of the file is
	// written, by role and pattern, for the allows their heirs write.
	denyAt map[string]map[string]yamlx.Pos
	riskAt map[string]yamlx.Pos // where each role of the file writes max_risk
	allows []allowSite          // every allow of the file's roles, in file order
	// grantSites is every grant of the file, checked against its runbook
	// once the rest of the policy is right.
	grantSites []grantSite
}

type grantSite struct {
	role, path string // path as written
	pos        yamlx.Pos
	sha        yamlx.Pos  // where sha256 is written (grantSites only)
	node       *yaml.Node // the grant (grantSites only)
	grant      Grant      // (grantSites only)
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
	for i, pr := range pairs {
		if l.misplacedRoleKey(pairs, i) {
			continue
		}
		if !roleNameRE.MatchString(pr.Key) {
			l.d.Add(yamlx.PosOf(pr.K), "role name %q: use lower-case letters, digits, - and _", yamlx.Truncate(pr.Key, 40))
			continue
		}
		r := &Role{Name: pr.Key}
		var allowAt, denyAt []yamlx.Pos
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
				r.Allow, allowAt = l.patterns(v, "allow")
			case "deny":
				r.Deny, denyAt = l.patterns(v, "deny")
			case "max_risk":
				if s, ok := yamlx.Str(v, "max_risk", l.d); ok {
					if !yamlx.Contains(risks, s) {
						l.d.Add(yamlx.PosOf(v), "unknown risk %q; use read, write or destructive", s)
					}
					r.MaxRisk = ops.Risk(s)
					l.riskAt[pr.Key] = yamlx.PosOf(k)
				}
			case "file_roots":
				r.FileRoots = l.fileRoots(v)
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
				r.Playbooks = l.grants(v, r.Name)
			}
		})
		l.deadAllows(r, allowAt, denyAt)
		l.noteRules(r, allowAt, denyAt)
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
		if x := yamlx.Deref(c); x.Kind != yaml.ScalarNode || x.ShortTag() != "!!str" {
			l.d.Add(yamlx.PosOf(x), "each item of %s must be a string, not %s; %s", what, yamlx.KindName(x), itemForm(x, what))
			continue
		}
		s, ok := yamlx.Str(c, "each item of "+what, l.d)
		if !ok {
			continue
		}
		pos := yamlx.PosOf(yamlx.Deref(c))
		// cache.allow is read in cache.go through this list; its patterns
		// are refused here, before the registry calls "shell.*" an
		// unknown operation, which hides the actual rule.
		if what == "cache.allow" && strings.Contains(s, "*") {
			l.d.Add(pos, "cache.allow: %q is a pattern, and patterns are not allowed here: a cached write skips its change, so each operation is named exactly; list the ones meant by name%s", s, l.opsOf(s))
			continue
		}
		out = append(out, item{s, pos})
	}
	return out
}

// opsOf names the operations a pattern like "shell.*" stands for, for a
// message that asks for them by name.
func (l *policyLoader) opsOf(pattern string) string {
	cat, ok := strings.CutSuffix(pattern, ".*")
	if !ok || l.reg == nil {
		return ", like shell.exec"
	}
	var names []string
	for _, e := range l.reg.List(cat) {
		names = append(names, e.Spec.Name)
	}
	switch {
	case len(names) == 0:
		return ", like shell.exec"
	case len(names) > 8:
		names = append(names[:8], "…")
	}
	return " (the " + cat + " operations: " + strings.Join(names, ", ") + ")"
}

// fileRoots reads a role's file_roots: directories, absolute or relative
// to the policy file. Nothing is expanded: "" would silently be the
// policy's directory, and ~ or $VAR a directory of that literal name, so
// those are refused. A root that does not exist is accepted without a
// word, since it may be created after the policy is written.
func (l *policyLoader) fileRoots(n *yaml.Node) []string {
	out := []string{}
	for _, c := range l.list(n, "file_roots") {
		p := c.s
		switch {
		case strings.TrimSpace(p) == "":
			l.d.Add(c.pos, "file_roots: an empty root would be this policy file's directory; write the directory, as an absolute path (or \".\" if the policy's own directory is meant)")
			continue
		case strings.HasPrefix(p, "~"):
			like := ""
			if rest, ok := strings.CutPrefix(p, "~/"); ok {
				like = ", like /home/NAME/" + rest
			}
			l.d.Add(c.pos, "file_roots: %q is not expanded: ~ is not a home directory here; write the absolute path%s", p, like)
			continue
		case strings.Contains(p, "$"):
			l.d.Add(c.pos, "file_roots: %q is not expanded: environment variables are not read here; write the absolute path", p)
			continue
		case filepath.IsAbs(p) && slices.Contains(strings.Split(filepath.ToSlash(p), "/"), ".."):
			// "/srv/app/../.." reads as a tree under /srv/app and is /.
			l.d.Add(c.pos, "file_roots: %q has a .. in it, which makes it %s, not a tree under %s; write %s if that is the tree meant", p, filepath.Clean(p), beforeDotDot(p), filepath.Clean(p))
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(l.p.Dir, p)
		}
		out = append(out, filepath.Clean(p))
	}
	return out
}

// beforeDotDot is the directory an absolute path names before its first
// .. element: /srv/app of "/srv/app/../x", /srv/..data of
// "/srv/..data/../x" (a name that begins with .. is not one).
func beforeDotDot(p string) string {
	elems := strings.Split(filepath.ToSlash(p), "/")
	i := slices.Index(elems, "..")
	return filepath.Clean("/" + strings.Join(elems[:i], "/"))
}

func (l *policyLoader) patterns(n *yaml.Node, what string) ([]string, []yamlx.Pos) {
	var out []string
	var at []yamlx.Pos
	for _, c := range l.list(n, what) {
		p := c.s
		switch {
		case p == "*":
		case strings.HasSuffix(p, ".*"):
			cat := strings.TrimSuffix(p, ".*")
			switch {
			case cat == "":
				// Not a regular expression: Match would look for ops
				// named ".something", and the rule would match none.
				l.d.Add(c.pos, "%s pattern %q names no category: patterns are not regular expressions; write \"*\" for every operation, or a category, like \"process.*\"", what, p)
			case l.reg != nil && len(l.reg.List(cat)) == 0:
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
		at = append(at, c.pos)
	}
	return out, at
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
