package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// TestAuditLogOpenErrorSaysWhatToDo: an --audit-log that cannot be opened
// (a directory, a read-only or full file system) is refused with what to
// give instead, not the bare error of the open.
func TestAuditLogOpenErrorSaysWhatToDo(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: audited\nsteps:\n  - {id: a, op: control.noop}\n")
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	res := runMain(t, "run", pb, "--audit-log", logs)
	if res.code == ExitOK || !strings.Contains(res.stderr, "is a directory") || !strings.Contains(res.stderr, "give --audit-log the path of a file, such as "+filepath.Join(logs, "audit.log")) {
		t.Errorf("--audit-log a directory: exit %d\n%s", res.code, res.stderr)
	}
	for errno, advice := range map[syscall.Errno]string{
		syscall.EROFS:  "give --audit-log a file on a writable file system",
		syscall.ENOSPC: "free space (or inodes) there, or give --audit-log a file on another file system",
	} {
		err := auditOpenError(fmt.Errorf("audit log: %w", &fs.PathError{Op: "open", Path: "/var/log/a.log", Err: errno}), "/var/log/a.log")
		if !strings.Contains(err.Error(), advice) {
			t.Errorf("%v: %q; want it to say %q", errno, err, advice)
		}
	}
}
