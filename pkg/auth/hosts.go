package auth

// Host scopes: a role's hosts: names the machines the ssh.* operations may
// act on for it, as inventory host names, groups, tag:NAME or "*". They are
// checked at preflight when a step's host is literal (with the run's
// inventory, for groups and tags), and by the operations at run time
// through remote.HostPolicy before any connection is made.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

var _ remote.HostPolicy = (*Scope)(nil)

// hostPatternRE is the form of a hosts: pattern: "*", a host or group name
// (the inventory's form), or tag:NAME.
var hostPatternRE = regexp.MustCompile(`^(\*|(tag:)?[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})$`)

// hostRule is one role's hosts:.
type hostRule struct {
	role     string
	patterns []string
}

// hostPatterns reads a role's hosts:.
func (l *policyLoader) hostPatterns(n *yaml.Node) []string {
	out := []string{}
	for _, c := range l.list(n, "hosts") {
		if !hostPatternRE.MatchString(c.s) {
			l.d.Add(c.pos, "hosts: %q is not a host or group name, tag:NAME or *; names use letters, digits, _, . and -", yamlx.Truncate(c.s, 64))
			continue
		}
		out = append(out, c.s)
	}
	return out
}

// addHosts adds a role's hosts: to the scope, when it sets them.
func (s *Scope) addHosts(r *Role) {
	if r.Hosts != nil {
		s.hosts = append(s.hosts, hostRule{r.Name, r.Hosts})
	}
}

// AllowHost implements remote.HostPolicy: the host is allowed when no role
// of the scope sets hosts:, or when a pattern of one that does matches its
// name, one of its groups, or one of its tags; "*" and "all" match any
// host.
// An address written directly (user@addr:port) has no groups or tags and
// is matched by "*" and "all" only.
func (s *Scope) AllowHost(name string, groups, tags []string) error {
	if s.choice != nil {
		return s.choice.allowHost(name, groups, tags)
	}
	if len(s.hosts) == 0 {
		return nil
	}
	h := &inventory.Host{Name: name, Groups: groups, Tags: tags}
	var roles, patterns []string
	for _, hr := range s.hosts {
		for _, p := range hr.patterns {
			if h.Matches(p) {
				return nil
			}
		}
		roles = append(roles, hr.role)
		patterns = append(patterns, hr.patterns...)
	}
	what := "host " + name
	var about []string
	if len(groups) > 0 {
		about = append(about, "groups "+strings.Join(groups, ", "))
	}
	if len(tags) > 0 {
		about = append(about, "tags "+strings.Join(tags, ", "))
	}
	if len(about) > 0 {
		what += " (" + strings.Join(about, "; ") + ")"
	}
	allowed := "none"
	if len(patterns) > 0 {
		allowed = strings.Join(slices.Compact(slices.Sorted(slices.Values(patterns))), ", ")
	}
	return fmt.Errorf("%w: %s is not among the hosts of role %s (hosts: %s)", errDenied, what, strings.Join(roles, ", "), allowed)
}

// PreflightOption adds what preflight needs beyond the playbook.
type PreflightOption func(*preflightOptions)

type preflightOptions struct{ inv *inventory.Inventory }

// WithInventory gives preflight the run's inventory, so that a step whose
// host is a literal inventory name is checked against the hosts: of the
// caller's roles by its groups and tags too. Without it, such a host is
// checked by name only, and denied at run time if its groups and tags do
// not let it through.
func WithInventory(inv *inventory.Inventory) PreflightOption {
	return func(o *preflightOptions) { o.inv = inv }
}

// checkHost turns an allowing decision into a denial when st acts on a
// literal host that the scope of the decision does not allow.
func (s *Subject) checkHost(st *steps.Step, d Decision, inv *inventory.Inventory) Decision {
	if !d.Allowed || st.Entry == nil {
		return d
	}
	var ht remote.HostTarget
	if !st.Entry.As(&ht) {
		return d
	}
	scope := s.Scope(st.Op, st.Risk)
	if len(scope.hosts) == 0 {
		return d
	}
	if group, ok := fanOutOverGroup(st, ht.HostParam()); ok && inv != nil {
		// Each item's host is known before the run: refuse it all now
		// rather than part of the rollout when the run gets there.
		hosts, err := inv.Hosts(group)
		if err != nil {
			return d // the run's inventory check names the group
		}
		for _, h := range hosts {
			if err := scope.AllowHost(h.Name, h.Groups, h.Tags); err != nil {
				rule := strings.TrimPrefix(err.Error(), errDenied.Error()+": ")
				return Decision{Rule: fmt.Sprintf("%s (an item of inventory.hosts(%q))", rule, group), Via: d.Via, Params: true}
			}
		}
		return d
	}
	v, _ := st.LiteralParam(ht.HostParam())
	target, _ := v.(string)
	if target == "" {
		return d
	}
	h, err := inv.Resolve(target)
	if err != nil {
		// A name without the inventory (its groups and tags unknown), or
		// one the inventory lacks, which fails the step by itself: the
		// run decides.
		return d
	}
	if err := scope.AllowHost(h.Name, h.Groups, h.Tags); err != nil {
		return Decision{Rule: strings.TrimPrefix(err.Error(), errDenied.Error()+": "), Via: d.Via, Params: true}
	}
	return d
}

// groupFanOut is a foreach over the hosts of a literal inventory name.
var groupFanOut = regexp.MustCompile(`^\s*inventory\.hosts\(\s*(?:"([^"\\]+)"|'([^'\\]+)')\s*\)\s*$`)

// fanOutOverGroup reports the inventory name st fans out over when its
// foreach is inventory.hosts("NAME") and its host parameter is the item's
// name, "${{ item.name }}": the hosts it acts on are known before it runs.
func fanOutOverGroup(st *steps.Step, hostParam string) (string, bool) {
	if st.Foreach == nil || st.With == nil || st.With.Kind != steps.KindMap {
		return "", false
	}
	m := groupFanOut.FindStringSubmatch(st.Foreach.Source)
	if m == nil {
		return "", false
	}
	for i, k := range st.With.Keys {
		if v := st.With.Items[i]; k == hostParam && v.Kind == steps.KindExpr && strings.TrimSpace(v.Expr.Source) == "item.name" {
			return m[1] + m[2], true
		}
	}
	return "", false
}
