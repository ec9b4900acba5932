package auth

import "github.com/arsenal-run/arsenal-run/internal/fsroot"

// owners names whose scope a Scope is, for a denial at run time to name
// the roles and the policy file rather than "the caller's role".
type owners struct {
	roles  []string // the held (or granted) roles that give the scope
	others []string // the reasons of held roles that do not allow the operation
	policy string   // the policy file; "" for the built-in policy
}

// RootsOwners says whose file roots a path is judged against: each role
// the call may still be allowed by, with its own roots, the roles that
// allow the operation but were left out by what the call touched before,
// the reasons of the held roles that do not allow it, and the policy
// file. The file operations name them when they refuse a path.
func (s *Scope) RootsOwners() fsroot.Owners {
	if s == nil {
		return fsroot.Owners{}
	}
	if s.choice == nil {
		return fsroot.Owners{Roles: rolesOf(s), Others: s.owners.others, Policy: s.owners.policy}
	}
	c := s.choice
	c.mu.Lock()
	defer c.mu.Unlock()
	o := fsroot.Owners{Others: c.others}
	for i, a := range c.alts {
		o.Policy = a.owners.policy
		if c.live == nil || c.live[i] {
			o.Roles = append(o.Roles, rolesOf(a)...)
			continue
		}
		o.Dropped = append(o.Dropped, a.owners.roles...)
	}
	return o
}

func rolesOf(s *Scope) []fsroot.RoleRoots {
	var out []fsroot.RoleRoots
	for _, r := range s.owners.roles {
		out = append(out, fsroot.RoleRoots{Role: r, Roots: s.roots})
	}
	return out
}
