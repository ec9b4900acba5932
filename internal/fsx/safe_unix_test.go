//go:build unix

package fsx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSafeDirectoriesTrustAWorkspaceAnotherUserOwns: in a CI container
// the workspace belongs to the runner's user (1001) and the job runs as
// root. A file there, or in a directory of theirs, or one a group of
// theirs may write, is refused until $ARSENAL_SAFE_DIRECTORIES names the
// workspace (or *), which the refusal says; then it passes, and each
// such trust is told to OnSafeUse once. A file every user may write, a
// directory beside the one named (ws2 for ws), and an entry that is not
// absolute stay refused; that last one is said to be ignored.
func TestSafeDirectoriesTrustAWorkspaceAnotherUserOwns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by other users")
	}
	accounts(t)
	base := t.TempDir()
	ws := filepath.Join(base, "ws")
	sub := filepath.Join(ws, "sub")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	chownMode(t, ws, 0o755, 1001, 1001)
	chownMode(t, sub, 0o775, 1001, 5000)
	policy := filepath.Join(ws, "policy.yaml")
	inSub := filepath.Join(sub, "keys.yaml")
	for _, p := range []string{policy, inSub} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		chownMode(t, p, 0o664, 1001, 5000)
	}
	beside := filepath.Join(base, "ws2")
	if err := os.Mkdir(beside, 0o755); err != nil {
		t.Fatal(err)
	}
	chownMode(t, beside, 0o755, 1001, 1001)
	besideFile := filepath.Join(beside, "policy.yaml")
	if err := os.WriteFile(besideFile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(p string) string { return PathAnyoneMayWrite(p, "the policy", "give any role any operation") }

	t.Setenv(SafeEnv, "")
	got := check(policy)
	if !strings.Contains(got, "set ARSENAL_SAFE_DIRECTORIES="+ws+" in the environment that starts arsenal-run") ||
		!strings.Contains(got, "group 5000") {
		t.Errorf("the policy in a workspace of user 1001, with no safe directory = %q", got)
	}
	chownMode(t, policy, 0o644, 1001, 1001)
	if got := check(policy); !strings.Contains(got, "a directory owned by user 1001") || !strings.Contains(got, "ARSENAL_SAFE_DIRECTORIES="+ws) {
		t.Errorf("the policy of mode 0644 in a workspace of user 1001 = %q", got)
	}

	var used []SafeUse
	stop := OnSafeUse(func(u SafeUse) { used = append(used, u) })
	defer stop()
	t.Setenv(SafeEnv, "relative/ws:"+ws+"/")
	for _, p := range []string{policy, inSub, policy} {
		if got := check(p); got != "" {
			t.Errorf("%s with %s=%s: %q, want none", p, SafeEnv, os.Getenv(SafeEnv), got)
		}
	}
	// ws (its owner), the policy (its owner), the file in sub (its
	// group, then its owner) and sub (its group, its owner): each once.
	if len(used) != 6 || used[0] != (SafeUse{Entry: ws, Path: ws, Why: "a directory owned by user 1001"}) {
		t.Errorf("OnSafeUse was told %+v, want each trust once", used)
	}
	if got := check(besideFile); !strings.Contains(got, "a directory owned by user 1001") ||
		!strings.Contains(got, `($ARSENAL_SAFE_DIRECTORIES: "relative/ws" is not an absolute path and ignored; give absolute directories separated by colons, or *)`) {
		t.Errorf("a file beside the safe directory = %q", got)
	}
	chownMode(t, policy, 0o666, 1001, 1001)
	if got := check(policy); !strings.Contains(got, "mode 0666 lets every user of this host write it") {
		t.Errorf("a file every user may write in a safe directory = %q", got)
	}
	t.Setenv(SafeEnv, "*")
	if got := check(besideFile); got != "" {
		t.Errorf("with %s=*: %q, want none", SafeEnv, got)
	}
	stop()
	n := len(used)
	chownMode(t, besideFile, 0o644, 1002, 1002)
	check(besideFile)
	if len(used) != n {
		t.Errorf("OnSafeUse was told after its stop: %+v", used[n:])
	}
}
