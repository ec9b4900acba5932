package cli

import (
	"strings"
	"testing"
)

// TestDenialNamesTheRolesThatMay: a denied run, and validate's denial,
// name the roles under which every step would be allowed, so that the
// person at the terminal knows what to ask for or give; a role that
// allows only some of the steps is not named.
func TestDenialNamesTheRolesThatMay(t *testing.T) {
	playbookDir(t, map[string]string{
		"clean.yaml": `version: 1
name: clean
steps:
  - {id: look, op: file.stat, with: {path: gone.txt}}
  - {id: drop, op: file.delete, with: {path: gone.txt, missing_ok: true}}
`,
		"policy.yaml": `version: 1
roles:
  reader: {max_risk: read}
  cleaner: {allow: [file.*]}
  janitor: {allow: [file.delete]}
  root: {max_risk: destructive}
`,
	})
	runEnv(t, nil, "run", "clean.yaml").want(t, ExitDenied, nil, []string{
		"DENIED   drop",
		"the built-in policy lets role admin run every step; if you hold it, run again with --role admin\n",
	})
	r := runEnv(t, nil, "validate", "--policy", "policy.yaml", "--role", "reader", "clean.yaml")
	// The narrowest role comes first and is the one suggested: cleaner
	// may run only file operations, admin and root every operation.
	r.want(t, ExitDenied, []string{"policy.yaml lets roles cleaner, admin or root run every step; the one allowing the fewest operations is cleaner: if you hold it, run again with --role cleaner\n"}, nil)
	if strings.Contains(r.stdout, "janitor") {
		t.Errorf("a role allowing only some steps is named:\n%s", r.stdout)
	}
	// Held roles are not offered again.
	r = runEnv(t, nil, "run", "--policy", "policy.yaml", "--role", "reader", "--role", "cleaner", "clean.yaml")
	r.want(t, ExitOK, nil, nil)
	r = runEnv(t, nil, "validate", "--role", "admin", "clean.yaml")
	if strings.Contains(r.stdout+r.stderr, "run again") {
		t.Errorf("an allowed playbook is given advice:\n%s%s", r.stdout, r.stderr)
	}
	// operator suffices for a write: the advice is not admin, which may
	// run every destructive operation as well.
	playbookDir(t, map[string]string{"touch.yaml": `version: 1
name: touch
steps:
  - {id: put, op: file.write, with: {path: out.txt, content: x}}
`})
	runEnv(t, nil, "run", "--role", "viewer", "touch.yaml").want(t, ExitDenied, nil, []string{
		"the built-in policy lets roles operator or admin run every step; the one allowing the fewest operations is operator: if you hold it, run again with --role operator\n",
	})
}
