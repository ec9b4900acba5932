package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// envRoles fills roles from $ARSENAL_ROLES when no --role was given, and
// returns "$ARSENAL_ROLES" when it did, for messages: a role nobody typed
// on the command line is hard to place without it.
func envRoles(e *env, roles *listFlag) (from string, err error) {
	if len(*roles) > 0 {
		return "", nil
	}
	s := e.getenv("ARSENAL_ROLES")
	if s == "" {
		return "", nil
	}
	if err := roles.Set(s); err != nil {
		return "", fmt.Errorf("$ARSENAL_ROLES=%q: give role names separated by commas", s)
	}
	return "$ARSENAL_ROLES", nil
}

// unknownRole says what is wrong with the first of roles that p does not
// define, naming from (an environment variable) when they came from
// there; "" when p defines them all.
func unknownRole(p *auth.Policy, roles []string, from string) string {
	known := p.RoleNames()
	for _, r := range roles {
		if !slices.Contains(known, r) {
			if from != "" {
				from = " in " + from
			}
			which := "the built-in policy (no --policy)"
			if p.File != "" {
				which = "the policy " + p.File
			}
			return fmt.Sprintf("unknown role %q%s%s; %s defines %s", r, from, suggest.DidYouMean(r, known), which, strings.Join(known, ", "))
		}
	}
	return ""
}
