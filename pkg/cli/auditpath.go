package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// namedFile is a file a command reads or writes, with what it is for
// messages: "the playbook", "--report".
type namedFile struct{ what, path string }

// stateFiles are the names in a state dir that hold its own data: the
// audit log may sit beside them (serve's default is STATE-DIR/audit.log),
// never in their place.
var stateFiles = []string{
	history.FileName, history.FileName + "-wal", history.FileName + "-shm",
	"history.lock", "owners", history.ReportsDir, report.KeyFile,
	scheduler.LockFileName, server.SessionKeyFile,
}

// auditLogProblem says why the audit log cannot go to path, or "" when it
// can. The audit log appends a JSON line per step, so it must not be a
// file the command reads (reads: the playbook, the policy, the keys
// file…), nor where a report of the same run goes (sinks), nor one of the
// state dir's own files, nor any file arsenal-run protects (an SSH key,
// a TLS key), nor in a directory that does not exist, unless under the
// state dir. It is checked before the log is opened, so that a refused
// path is never created.
func auditLogProblem(path string, reads, sinks []namedFile, stateDir string) string {
	bad := func(format string, args ...any) string {
		return fmt.Sprintf("--audit-log %s: ", path) + fmt.Sprintf(format, args...)
	}
	fi, statErr := os.Stat(path)
	if statErr == nil {
		for _, r := range reads {
			if r.path == "" {
				continue
			}
			if rfi, err := os.Stat(r.path); err == nil && os.SameFile(fi, rfi) {
				return bad("it is %s (%s); the audit log would append to it: give another path", r.what, r.path)
			}
		}
	}
	key := runs.PathKey(path)
	for _, s := range sinks {
		if s.path == "" {
			continue
		}
		same := runs.PathKey(s.path) == key
		if sfi, err := os.Stat(s.path); err == nil && statErr == nil && os.SameFile(fi, sfi) {
			same = true
		}
		if same {
			return bad("it is also where %s goes; give each its own file", s.what)
		}
	}
	underState := false
	if stateDir != "" {
		sd := stateDir
		if real, err := filepath.EvalSymlinks(sd); err == nil {
			sd = real
		}
		sd, _ = filepath.Abs(sd)
		if rel, err := filepath.Rel(sd, key); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			if rel == "." {
				return bad("it is the state dir; give the path of a file, like %s", filepath.Join(stateDir, "audit.log"))
			}
			underState = true
			first, _, _ := strings.Cut(rel, string(filepath.Separator))
			for _, name := range stateFiles {
				if first == name {
					return bad("it is the state dir's own %s; give a path beside the state dir's files, like %s", first, filepath.Join(stateDir, "audit.log"))
				}
			}
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	var pe *fsroot.ProtectedError
	if err := fsroot.Guard(abs); errors.As(err, &pe) && pe.What != "state dir" && pe.What != "audit log" {
		return bad("it is arsenal-run's %s (%s); give another path for the audit log", pe.What, pe.Protected)
	}
	// A directory under the state dir is made with it; any other missing
	// one is more likely a typo (/var/lgo) than a wish for a new tree,
	// whose log nobody would then find.
	if dir := filepath.Dir(path); !underState {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return bad("its directory %s does not exist; correct the path, or create the directory first (mkdir -p %s)", dir, dir)
		}
	}
	return ""
}

// removeIfEmpty removes the file at path if it is empty: an audit log
// created for a run that was then refused.
func removeIfEmpty(path string) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		os.Remove(path)
	}
}

// auditOpenError adds what to do to the error of opening --audit-log, path:
// when this user may not write there, the file system is read-only or
// full, or path is a directory.
func auditOpenError(err error, path string) error {
	switch {
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w; give --audit-log a file this user can write", err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w; give --audit-log a file on a writable file system", err)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w; free space (or inodes) there, or give --audit-log a file on another file system", err)
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%w; give --audit-log the path of a file, such as %s", err, filepath.Join(path, "audit.log"))
	}
	return err
}
