package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// rolesAllowing returns the roles of policy, other than those held, under
// each of which alone preflight allows every step: what a caller denied a
// step may ask for, or give when they hold it. A nil policy is the
// built-in one.
func rolesAllowing(policy *auth.Policy, held []string, preflight func(p *auth.Policy, roles []string) ([]auth.StepDecision, error)) []string {
	if policy == nil {
		policy = auth.Builtin()
	}
	var out []string
	for _, r := range policy.RoleNames() {
		if slices.Contains(held, r) {
			continue
		}
		ds, err := preflight(policy, []string{r})
		if err == nil && len(auth.Denied(ds)) == 0 {
			out = append(out, r)
		}
	}
	return out
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
	return fmt.Sprintf("%s lets %s run every step; if you hold it, run again with --role %s\n",
		src, listOr(roles), roles[0])
}

// listOr joins names as "a", "a or b", "a, b or c".
func listOr(names []string) string {
	if len(names) == 1 {
		return "role " + names[0]
	}
	return "roles " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
