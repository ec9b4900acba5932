//go:build unix

package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestAStateDirThisUserCannotWriteIsSaidSo: a state dir that holds a
// history but that this user may not enter is not "no history", and every
// command that meets it says that the user cannot write it and what to do.
func TestAStateDirThisUserCannotWriteIsSaidSo(t *testing.T) {
	// Not t.TempDir: its parent is 0700, which nobody cannot enter.
	dir, err := os.MkdirTemp("", "state-access-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "tick.yaml", "version: 1\nname: tick\nschedule: {cron: \"@hourly\"}\nsteps:\n  - {id: a, op: control.noop}\n")
	if res := runMain(t, "run", pb, "--state-dir", state); res.code != ExitOK {
		t.Fatalf("run: %d %s", res.code, res.stderr)
	}
	os.Chmod(pb, 0o644)
	as := otherUser(t, dir, state)
	for _, args := range [][]string{{"history"}, {"cache", "list"}, {"run", pb}, {"schedule", pb}} {
		code, stderr := as(append(args, "--state-dir", state)...)
		if code != ExitUsage || strings.Contains(stderr, "no history") || !strings.Contains(stderr, "permission denied") || !strings.Contains(stderr, "this user can write") {
			t.Errorf("%s: exit %d\n%s\nwant exit 2 saying this user cannot write the state dir and what to do", strings.Join(args, " "), code, stderr)
		}
	}
}

// otherUser returns how to run the command as a user who may not enter
// state: as root, the built binary as nobody (root enters any
// directory); otherwise this process, with state made mode 0.
func otherUser(t *testing.T, dir, state string) func(args ...string) (int, string) {
	if os.Getuid() != 0 {
		os.Chmod(state, 0)
		t.Cleanup(func() { os.Chmod(state, 0o700) })
		return func(args ...string) (int, string) {
			res := runMain(t, args...)
			return res.code, res.stderr
		}
	}
	bin := filepath.Join(dir, "arsenal-run")
	data, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("%v: %v", args, err)
		}
		return cmd.ProcessState.ExitCode(), stderr.String()
	}
}
