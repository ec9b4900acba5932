package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditLogMissingDirRefused: --audit-log in a directory that does not
// exist (a typo: /var/lgo) is refused with the directory named, and
// nothing is created; under the state dir, the first run still makes
// the directories it needs.
func TestAuditLogMissingDirRefused(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: audited\nsteps:\n  - {id: a, op: control.noop}\n")
	typo := filepath.Join(dir, "lgo", "arsenal")
	res := runMain(t, "run", pb, "--audit-log", filepath.Join(typo, "audit.log"))
	if res.code != ExitUsage || !strings.Contains(res.stderr, typo+" does not exist") || !strings.Contains(res.stderr, "mkdir -p") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "lgo")); !os.IsNotExist(err) {
		t.Errorf("the mistyped directory was created: %v", err)
	}
	state := filepath.Join(dir, "state")
	audit := filepath.Join(state, "logs", "audit.log")
	if res := runMain(t, "run", pb, "--state-dir", state, "--audit-log", audit); res.code != ExitOK {
		t.Fatalf("under the state dir: exit %d\n%s", res.code, res.stderr)
	}
	if len(mustRead(t, audit)) == 0 {
		t.Error("the audit log under the state dir is empty")
	}
}
