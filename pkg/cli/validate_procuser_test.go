package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateLeavesProcessUserToTheHost: docs/operations.md says validate
// does not look up process.list's user, as it may run on another host (CI)
// than the one the playbook runs on; the run looks it up when the step
// starts and fails the step there, naming the param.
func TestValidateLeavesProcessUserToTheHost(t *testing.T) {
	dir := t.TempDir()
	pb := filepath.Join(dir, "workers.yaml")
	body := "version: 1\nname: workers\nsteps:\n  - id: find\n    op: process.list\n    with: {user: no-such-user-4711}\n"
	if err := os.WriteFile(pb, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runEnv(t, nil, "validate", pb)
	r.want(t, ExitOK, []string{"ok  " + pb}, nil)

	r = runEnv(t, nil, "run", pb, "--yes")
	r.want(t, ExitFailed, nil, []string{"error_class=validation", "param user: no user named", "no-such-user-4711"})
	if strings.Contains(r.stderr, "nothing ran") {
		t.Errorf("the run was refused before its step started; want the step to fail when it starts:\n%s", r.stderr)
	}
}
