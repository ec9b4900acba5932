package history

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// openChildEnv makes the test binary act as a process that opens the
// history in the state dir the variable names and prints the error.
const openChildEnv = "ARSENAL_HISTORY_OPEN_CHILD"

func openChild(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	s.Close()
	fmt.Println("opened")
}

// TestAReadOnlyHistorySaysWhatToDo: a history.db its owner may not write
// (chmod a-w, a restore that kept a backup's modes), at this release's
// schema or an older one, failed to open with SQLite's "attempt to write
// a readonly database" alone. The error now names the file, its mode and
// the chmod that fixes it, its path quoted for the shell.
func TestAReadOnlyHistorySaysWhatToDo(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user, as root may write a read-only file")
	}
	const user = 1001
	// The state dir and a copy of this test binary, where user 1001
	// reaches them.
	top, err := os.MkdirTemp("", "history-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(top, "history.test")
	copyFile(t, os.Args[0], bin)
	for _, v := range []int{7, SchemaVersion} {
		// A space in the path: the chmod is pasted as one word.
		dir := filepath.Join(top, fmt.Sprintf("state %d", v))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		raw := openRaw(t, dir)
		if err := migrate(context.Background(), raw, v, filepath.Join(dir, ReportsDir)); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		db := filepath.Join(dir, FileName)
		filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, user, user) })
		if err := os.Chmod(db, 0o400); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-test.run=^$")
		cmd.Env = append(os.Environ(), openChildEnv+"="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: user, Gid: user}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v: %s", err, out)
		}
		for _, want := range []string{"error: history: " + db + ":", "it is mode 0400", "chmod u+w '" + db + "'"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("schema version %d: the error does not say %q: %s", v, want, out)
			}
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
