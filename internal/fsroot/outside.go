package fsroot

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Named is how a denial names a path: as written and, when that differs,
// the absolute path it was resolved to; for a relative path, also what it
// was taken from (from: "the playbook's directory", "the working
// directory"). A user standing in a root who reads that "out.txt" is
// outside it learns which out.txt was meant.
func Named(written, abs, from string) string {
	q := fmt.Sprintf("%q", written)
	switch {
	case abs == "" || written == abs:
		return q
	case filepath.IsAbs(written):
		return fmt.Sprintf("%s (%s)", q, abs)
	}
	return fmt.Sprintf("%s (%s: a relative path is taken from %s)", q, abs, from)
}

// OutsideRoots returns the error of a file operation for a path, named as
// Named names it, outside every one of the caller's roots. It names the
// roots, whose they are (o: each held role with its own roots or reason,
// and the policy file) and the fix. The operations at run time and the
// preflight before it give the same one.
func OutsideRoots(named string, roots []string, o Owners) error {
	if len(roots) == 0 {
		return fmt.Errorf("%w: path %s: %s no file access (%s); %s", ops.ErrDenied, named, o.noAccess(), o.setsNone(), o.widen())
	}
	return fmt.Errorf("%w: path %s is outside the allowed file roots (%s); %s, or %s", ops.ErrDenied, named, o.roots(roots), o.useInside(), o.widen())
}

// EscapesRoots returns the error for a path, named as Named names it,
// that a symlink or ".." leads out of every one of the caller's roots.
func EscapesRoots(named string, roots []string, o Owners) error {
	return fmt.Errorf("%w: path %s leads through a symlink or .. outside the allowed file roots (%s); the target must lie inside them too, or %s", ops.ErrDenied, named, o.roots(roots), o.widen())
}

// Owners says whose file roots a path was judged against, for a denial
// to name them. The zero Owners names no role: "the caller's role".
type Owners struct {
	// Roles are the held roles whose roots the path was judged against,
	// in the order held: those that allow the operation and, of a call
	// whose other paths, hosts or addresses narrowed them, those left.
	Roles []RoleRoots
	// Dropped are held roles that allow the operation but not what the
	// call touched before the path: a call is allowed whole by one role.
	Dropped []string
	// Others are the reasons of the held roles that do not allow the
	// operation at all ("role viewer: no rule allows file.write").
	Others []string
	// Policy is the policy file that sets the roles; "" for the
	// built-in policy.
	Policy string
}

// RoleRoots is one role and its file roots (nil: the defaults).
type RoleRoots struct {
	Role  string
	Roots []string
}

// roots names the roots a path was judged against: by role, when known,
// then any the operation added (such as the playbook's directory).
func (o Owners) roots(roots []string) string {
	if len(o.Roles) == 0 {
		return strings.Join(roots, ", ")
	}
	held := map[string]bool{}
	var parts []string
	for _, r := range o.Roles {
		rs := r.Roots
		if rs == nil {
			rs = Defaults()
		}
		for _, x := range rs {
			held[x] = true
		}
		what := strings.Join(rs, ", ")
		if len(rs) == 0 {
			what = "none: file_roots: []"
		}
		parts = append(parts, fmt.Sprintf("role %s: %s", r.Role, what))
	}
	var also []string
	for _, x := range roots {
		if !held[x] {
			also = append(also, x)
		}
	}
	if len(also) > 0 {
		parts = append(parts, "the playbook's directory: "+strings.Join(also, ", "))
	}
	return strings.Join(parts, "; ")
}

// noAccess names who allows no file access, with the verb.
func (o Owners) noAccess() string {
	switch len(o.Roles) {
	case 0:
		return "the caller's scope allows"
	case 1:
		return o.names("") + " allows"
	}
	return o.names(" and ") + " allow"
}

// setsNone says why no root is left.
func (o Owners) setsNone() string {
	if len(o.Roles) == 1 {
		return "it sets file_roots: []"
	}
	return "its roles set file_roots: []"
}

// useInside says where the path may lie instead.
func (o Owners) useInside() string {
	if len(o.Roles) < 2 && len(o.Dropped) == 0 {
		return "use a path inside them"
	}
	return "use a path inside them (one call is allowed whole by one role: every path of it inside that role's roots)"
}

// widen says how file roots are widened, naming the roles and the policy
// file, and what the other held roles say.
func (o Owners) widen() string {
	var b strings.Builder
	switch len(o.Roles) {
	case 0:
		b.WriteString("have an admin add its directory to file_roots of the caller's role")
	default:
		fmt.Fprintf(&b, "have an admin add its directory to file_roots of %s", o.names(" or "))
	}
	if o.Policy != "" {
		fmt.Fprintf(&b, " in the policy file %s", o.Policy)
	} else if len(o.Roles) > 0 {
		b.WriteString(" in a policy file given with --policy (there, a role of the same name replaces the built-in one)")
	} else {
		b.WriteString(" in the policy file (--policy)")
	}
	if len(o.Dropped) > 0 {
		fmt.Fprintf(&b, "; %s allow%s the operation but not what the call touched before this path", roleList(o.Dropped), plural(o.Dropped))
	}
	for _, r := range o.Others {
		fmt.Fprintf(&b, "; %s", r)
	}
	b.WriteString("; a role without file_roots gets the working directory and the temp directory (docs/authorization.md, \"Widening file_roots\")")
	return b.String()
}

// names names the roles of o, joined by sep before the last.
func (o Owners) names(sep string) string {
	var ns []string
	for _, r := range o.Roles {
		ns = append(ns, r.Role)
	}
	if len(ns) == 1 {
		return "role " + ns[0]
	}
	return "role " + strings.Join(ns[:len(ns)-1], ", role ") + sep + "role " + ns[len(ns)-1]
}

func roleList(ns []string) string {
	return "role " + strings.Join(ns, ", role ")
}

func plural(ns []string) string {
	if len(ns) == 1 {
		return "s"
	}
	return ""
}

// Holds reports whether one of roots holds the absolute path abs
// lexically, as Locate places it: what a check made before the run can
// tell, leaving symlinks and protected paths to the operation.
func Holds(roots []string, abs string) bool {
	_, ok := place(filepath.Clean(abs), roots)
	return ok
}
