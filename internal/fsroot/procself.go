package fsroot

import (
	"os"
	"strconv"
	"strings"
)

// ownProcWhat is what a process's own /proc entries are called in
// refusals.
const ownProcWhat = "own process entries"

// ownProcErr refuses abs when it lies in this process's own entries under
// /proc: /proc/self, /proc/thread-self, and /proc/ID for its pid or any of
// its threads' ids, which the kernel answers though it lists only the
// pid. The file operations run in this process, so wherever a role's
// roots hold /proc (a role without file_roots run from /, as serve is
// under systemd without WorkingDirectory=), its environ, cmdline, fd and
// root would be theirs to read, non-dumpable or not: what arsenal-run was
// started with (a database URL's password, PGPASSWORD) and the files it
// holds open. nil otherwise. It is not among ProtectedPaths: the ids
// differ in each process, and a cache key that held them would never
// match another process's.
func ownProcErr(abs string) *ProtectedError {
	rest, ok := strings.CutPrefix(abs, "/proc/")
	if !ok {
		return nil
	}
	id, _, _ := strings.Cut(rest, "/")
	switch {
	case id == "self" || id == "thread-self":
	case !ownThread(id):
		return nil
	}
	if _, err := os.Lstat(abs); err != nil {
		// Nothing there to read or write: such as the form a pipe on
		// stdin resolves to (/proc/PID/fd/pipe:[N]), which is refused
		// as the pipe it is, with its own advice.
		return nil
	}
	return &ProtectedError{Path: abs, Protected: "/proc/" + id, What: ownProcWhat}
}

// ownThread reports whether id, a name under /proc, is the id of this
// process or of one of its threads.
func ownThread(id string) bool {
	if n, err := strconv.Atoi(id); err != nil || n <= 0 || strconv.Itoa(n) != id {
		return false
	}
	_, err := os.Lstat("/proc/self/task/" + id)
	return err == nil
}
