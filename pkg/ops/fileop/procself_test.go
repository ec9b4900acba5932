package fileop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestOwnProcEntriesAreNeverTouched: the file operations run inside
// arsenal-run, so where a role's roots hold /proc (a role without
// file_roots, run from /, as serve is under systemd without
// WorkingDirectory=), /proc/self/environ was arsenal-run's own
// environment: a PGPASSWORD, the --state URL, whatever it was started
// with, which its being non-dumpable keeps from other processes only.
// Before, file.read gave it to a role that may only read. Its entries
// are refused by every name (/proc/self, /proc/PID, /proc/TID of any of
// its threads); another process's, and /proc's own files, are not.
func TestOwnProcEntriesAreNeverTouched(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc:", err)
	}
	const secret = "Env-S3cret-41"
	t.Setenv("ARSENAL_TEST_PGPASSWORD", secret)
	e := newEnv(t)
	e.ctx = ops.WithCall(context.Background(), &ops.Call{Dir: "/", Scope: scope{[]string{"/proc"}}})

	// A thread of this process other than its main one, by its own id.
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	other := ""
	for _, d := range tids {
		if d.Name() != strconv.Itoa(os.Getpid()) {
			other = d.Name()
			break
		}
	}
	paths := []string{"/proc/self/environ", "/proc/" + strconv.Itoa(os.Getpid()) + "/environ", "/proc/thread-self/environ",
		"/proc/self/cmdline", "/proc/self/root/etc/hostname", "/proc/self/fd/0"}
	if other != "" {
		paths = append(paths, "/proc/"+other+"/environ")
	}
	for _, p := range paths {
		out, err := e.run("file.read", map[string]any{"path": p})
		if err == nil || !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "own process entries") {
			t.Errorf("file.read %s: %v, %v; want it denied as arsenal-run's own process entries", p, truncate(fmt.Sprint(out)), err)
		}
		if strings.Contains(fmt.Sprint(out), secret) {
			t.Errorf("file.read %s gave the environment away", p)
		}
	}
	if out, err := e.run("file.read", map[string]any{"path": "/proc/meminfo"}); err != nil || !strings.Contains(fmt.Sprint(out["content"]), "MemTotal") {
		t.Errorf("file.read /proc/meminfo: %v", err)
	}
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
