package cli

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// rolesAllowing returns the roles of policy, other than those held, under
// each of which alone preflight allows every step: what a caller denied a
// step may ask for, or give when they hold it. A nil policy is the
// built-in one. The narrowest role comes first: the one that allows the
// fewest operations of reg (at their declared risk), then by name, so
// that the advice is operator rather than admin when operator will do.
func rolesAllowing(policy *auth.Policy, reg *ops.Registry, held []string, preflight func(p *auth.Policy, roles []string) ([]auth.StepDecision, error)) []string {
	if policy == nil {
		policy = auth.Builtin()
	}
	var out []string
	breadth := map[string]int{}
	for _, r := range policy.RoleNames() {
		if slices.Contains(held, r) {
			continue
		}
		ds, err := preflight(policy, []string{r})
		if err == nil && len(auth.Denied(ds)) == 0 {
			out = append(out, r)
			breadth[r] = opsAllowed(policy, reg, r)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(breadth[a], breadth[b]) })
	return out
}

// opsAllowed counts the operations of reg that role alone may run at
// their declared risk.
func opsAllowed(policy *auth.Policy, reg *ops.Registry, role string) int {
	if reg == nil {
		return 0
	}
	s, err := policy.Subject([]string{role}, nil)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range reg.List("") {
		if s.Decide(e.Spec.Name, e.Spec.Risk).Allowed {
			n++
		}
	}
	return n
}

// whoCan is the line after a denial that names the roles that may run
// every step, or "" when no single role may. policyFile is "" for the
// built-in policy.
func whoCan(roles []string, policyFile string) string {
	if len(roles) == 0 {
		return ""
	}
	src := "the built-in policy"
	if policyFile != "" {
		src = policyFile
	}
	if len(roles) == 1 {
		return fmt.Sprintf("%s lets role %s run every step; if you hold it, run again with --role %s\n", src, roles[0], roles[0])
	}
	return fmt.Sprintf("%s lets %s run every step; the one allowing the fewest operations is %s: if you hold it, run again with --role %s\n",
		src, listOr(roles), roles[0], roles[0])
}

// listOr joins names as "a", "a or b", "a, b or c".
func listOr(names []string) string {
	if len(names) == 1 {
		return "role " + names[0]
	}
	return "roles " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
