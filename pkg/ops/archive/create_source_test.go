package archive

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// envAsUser marks the copy of this test binary that a test runs as an
// ordinary user, whom file modes bind.
const envAsUser = "ARSENAL_TEST_AS_USER"

// TestCreateNamesTheEntryItCannotRead: a file or directory of src that
// cannot be read fails archive.create with an error that names it and
// says what to do, not one that blames dest, which could be written.
func TestCreateNamesTheEntryItCannotRead(t *testing.T) {
	if os.Geteuid() == 0 {
		if os.Getenv(envAsUser) != "" {
			t.Fatal("still root")
		}
		// Root reads every file: run this test again as user 1001.
		rerunAsUser(t, "TestCreateNamesTheEntryItCannotRead")
		return
	}
	for _, c := range []struct{ name, files, locked, want string }{
		{"a file", "tree/secret", "tree/secret", "src: cannot read tree/secret (permission denied); make it readable by user"},
		{"a directory", "tree/locked/x", "tree/locked", "src: cannot read tree/locked (permission denied); make it readable by user"},
		{"src itself", "one.txt", "one.txt", "src: cannot read one.txt (permission denied)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			write(t, e.root, map[string]string{"tree/ok": "fine", c.files: "x"})
			locked := filepath.Join(e.root, c.locked)
			if err := os.Chmod(locked, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(locked, 0o755) })
			src := strings.Split(c.files, "/")[0]
			_, err := e.run("archive.create", map[string]any{"src": src, "dest": "out.tar.gz"})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "out.tar.gz was not written") {
				t.Errorf("packing %s: %v, want %q", c.locked, err, c.want)
			}
			if _, err := os.Lstat(filepath.Join(e.root, "out.tar.gz")); err == nil {
				t.Error("an archive was left behind")
			}
		})
	}
}

// rerunAsUser runs test in a copy of this test binary as user 1001, in a
// directory that user may read.
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
	copyPath := filepath.Join(dir, "archive.test")
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
	cmd.Env = append(os.Environ(), envAsUser+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 1001, Gid: 1001}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Errorf("%s as user 1001: %v\n%s", test, err, out)
	}
}
