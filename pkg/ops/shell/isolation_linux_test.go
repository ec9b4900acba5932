package shell

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestProcessIsNotDumpable(t *testing.T) {
	// TestMain called MaybeRunSandboxHelper, as main does.
	d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d != 0 {
		t.Errorf("PR_GET_DUMPABLE = %d after MaybeRunSandboxHelper, want 0", d)
	}
	// What arsenal-run reads of its own /proc stays readable.
	for _, f := range []string{"/proc/self/cgroup", "/proc/self/mountinfo", "/proc/self/status"} {
		if _, err := os.ReadFile(f); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Error(err)
	}
}

// envAsUser marks the copy of this test binary that
// TestSandboxCannotReadArsenalRun runs as an unprivileged user.
const envAsUser = "ARSENAL_TEST_AS_USER"

func TestSandboxCannotReadArsenalRun(t *testing.T) {
	if os.Geteuid() == 0 {
		if os.Getenv(envAsUser) != "" {
			t.Fatal("still root")
		}
		// Root may read any process's /proc: run this test again as an
		// ordinary user, which is whom non-dumpable protects against.
		rerunAsUser(t, "TestSandboxCannotReadArsenalRun")
		return
	}
	for _, sb := range []map[string]any{{}, {"network": false}} {
		out, err := execute(t, context.Background(), nil, map[string]any{
			"script":   `id -u; tr '\0' '\n' < /proc/$PPID/environ; ls /proc/$PPID/fd`,
			"sandbox":  sb,
			"ok_codes": []any{0, 1, 2},
		})
		if err != nil {
			t.Fatalf("sandbox %v: %v", sb, err)
		}
		if want := strings.TrimSpace(strings.Split(out["stdout"].(string), "\n")[0]); want != strconv.Itoa(os.Geteuid()) {
			t.Errorf("sandbox %v: the program runs as user %q, want %d", sb, want, os.Geteuid())
		}
		if s := out["stdout"].(string); strings.Contains(s, "hunter2") || strings.Count(s, "\n") > 1 {
			t.Errorf("sandbox %v: the step read arsenal-run's /proc:\n%s", sb, s)
		}
	}
}

// testUID is an unprivileged user other than the overflow user (65534),
// which a user namespace without a mapping would show.
const testUID = 4242

// rerunAsUser runs test in a copy of this test binary as user testUID.
func rerunAsUser(t *testing.T, test string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyPath := filepath.Join(dir, "shell.test")
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(copyPath, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copyPath, "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), envAsUser+"=1", "ARSENAL_TEST_SECRET=hunter2")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: testUID, Gid: testUID}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Errorf("%s as user %d: %v\n%s", test, testUID, err, out)
	}
}

func TestSandboxGetsOnlyTheStandardStreams(t *testing.T) {
	// A descriptor arsenal-run was started with, as its parent left it.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := unix.FcntlInt(w.Fd(), unix.F_SETFD, 0); err != nil {
		t.Fatal(err)
	}
	out, err := execute(t, context.Background(), nil, map[string]any{
		"command": []any{"ls", "/proc/self/fd"},
		"sandbox": map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 3 is the directory ls lists.
	if got := strings.Fields(out["stdout"].(string)); strings.Join(got, " ") != "0 1 2 3" {
		t.Errorf("descriptors open in the sandboxed program: %v, want 0 1 2 and ls's own 3", got)
	}
}

// TestStartupDescriptorsAreNotPassedOn: a descriptor the program was
// started with (a caller's 7>file) is not passed to the processes steps
// start: MaybeRunSandboxHelper, which main calls first, makes them close
// on exec.
func TestStartupDescriptorsAreNotPassedOn(t *testing.T) {
	fd, err := syscall.Open(filepath.Join(t.TempDir(), "inherited"), syscall.O_CREAT|syscall.O_WRONLY, 0o600) // no O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	MaybeRunSandboxHelper()
	out, err := execute(t, context.Background(), nil, map[string]any{"command": []any{"ls", "/proc/self/fd"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(out["stdout"].(string)) {
		if f == strconv.Itoa(fd) {
			t.Fatalf("descriptor %d reached the step's program: %q", fd, out["stdout"])
		}
	}
}
