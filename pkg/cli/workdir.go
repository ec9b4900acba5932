package cli

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// warnAtStart gives serve's start-up warnings of what it loaded: the keys
// that expired or soon will, and a working directory of / (rootWorkdir).
func (d *daemon) warnAtStart(st server.State) {
	d.warnExpiry("", st.Keys, time.Now())
	if msg := rootWorkdir("serve", st.Policy, nil, d.o.policy); msg != "" {
		d.warnf("%s", msg)
	}
}

// rootWorkdir warns of a daemon (cmd) whose working directory or temp
// directory is / (under systemd, a unit without WorkingDirectory=, or an
// environment with TMPDIR=/): the roles, of roles (nil: every role of
// policy), that set no file_roots act in both, the whole file system then.
// "" when neither is /, or every such role sets file_roots. policyFile is
// --policy, "" for the built-in policy (policy nil).
func rootWorkdir(cmd string, policy *auth.Policy, roles []string, policyFile string) string {
	wd, err := os.Getwd()
	atWD := err == nil && filepath.Clean(wd) == "/"
	atTmp := filepath.Clean(os.TempDir()) == "/"
	if !atWD && !atTmp {
		return ""
	}
	if policy == nil {
		policy = auth.Builtin()
	}
	open := policy.DefaultRootRoles(roles)
	if len(open) == 0 {
		return ""
	}
	what, them := "role "+open[0]+", which sets", "that role"
	if len(open) > 1 {
		what, them = "roles "+strings.Join(open, ", ")+", which set", "those roles"
	}
	where := "a policy file given with --policy (a role of the same name replaces the built-in one)"
	if policyFile != "" {
		where = "the policy " + policyFile
	}
	var at string
	var fix []string
	if atWD {
		at = "the working directory of " + cmd + " is /"
		fix = append(fix, "give "+cmd+" a working directory of its own, not the state dir (WorkingDirectory= in its systemd unit, or cd there before starting it)")
	}
	if atTmp {
		if at == "" {
			at = "the temp directory of " + cmd + " is / (TMPDIR=/)"
		} else {
			at += ", and so is its temp directory (TMPDIR=/)"
		}
		fix = append(fix, "set TMPDIR to a directory of "+cmd+"'s own, or unset it for /tmp")
	}
	return at + ", so " + what + " no file_roots, may touch every file of this machine that " +
		cmd + "'s user may (a role without file_roots acts in the working directory and the temp directory); " + strings.Join(fix, ", and ") +
		", or set file_roots of " + them + " in " + where + " (docs/authorization.md, \"Widening file_roots\")"
}
