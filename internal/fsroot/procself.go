package fsroot

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
)

// ownProcWhat is what a process's own /proc entries are called in
// refusals; kinProcWhat those of the processes it descends from or
// started.
const (
	ownProcWhat = "own process entries"
	kinProcWhat = "process entries of a process it was started by or started"
)

// ownProcErr refuses abs when it lies in this process's own entries under
// /proc: /proc/self, /proc/thread-self, and /proc/ID for its pid or any of
// its threads' ids, which the kernel answers though it lists only the
// pid. The file operations run in this process, so wherever a role's
// roots hold /proc (a role without file_roots run from /, as serve is
// under systemd without WorkingDirectory=), its environ, cmdline, fd and
// root would be theirs to read, non-dumpable or not: what arsenal-run was
// started with (a database URL's password, PGPASSWORD) and the files it
// holds open. The same holds for the processes it descends from, whose
// environ it was given (a wrapper script's, a container's pid 1), and for
// those it started (a shell step's, a process.start daemon's), which
// inherit it along with the variables of the step's env:, secrets among
// them. nil otherwise. It is not among ProtectedPaths: the ids differ in
// each process, and a cache key that held them would never match another
// process's.
func ownProcErr(abs string) *ProtectedError {
	rest, ok := strings.CutPrefix(abs, "/proc/")
	if !ok {
		return nil
	}
	id, _, _ := strings.Cut(rest, "/")
	what := ownProcWhat
	switch {
	case id == "self" || id == "thread-self":
	case ownThread(id):
	case kin(id):
		what = kinProcWhat
	default:
		return nil
	}
	if _, err := os.Lstat(abs); err != nil {
		// Nothing there to read or write: such as the form a pipe on
		// stdin resolves to (/proc/PID/fd/pipe:[N]), which is refused
		// as the pipe it is, with its own advice.
		return nil
	}
	return &ProtectedError{Path: abs, Protected: "/proc/" + id, What: what}
}

// procID is id as a process or thread id, or 0 when it is not one as the
// kernel names it.
func procID(id string) int {
	if n, err := strconv.Atoi(id); err == nil && n > 0 && strconv.Itoa(n) == id {
		return n
	}
	return 0
}

// ownThread reports whether id, a name under /proc, is the id of this
// process or of one of its threads.
func ownThread(id string) bool {
	if procID(id) == 0 {
		return false
	}
	_, err := os.Lstat("/proc/self/task/" + id)
	return err == nil
}

// maxChain bounds a walk up the process tree.
const maxChain = 256

// kin reports whether id, a name under /proc, is the id of a process this
// one descends from (pid 1 included) or of one descending from it, or of
// one of their threads.
func kin(id string) bool {
	tgid := tgidOf(procID(id))
	if tgid <= 0 {
		return false
	}
	if ancestors()[tgid] {
		return true
	}
	self := os.Getpid()
	for p, i := parentOf(tgid), 0; p > 1 && i < maxChain; i++ {
		if p == self {
			return true
		}
		p = parentOf(p)
	}
	return false
}

// ancestry caches the processes this one descends from, found from its
// parent then: a walk of /proc asks for each entry.
var ancestry struct {
	sync.Mutex
	parent int
	pids   map[int]bool
}

// ancestors are the processes this one descends from, pid 1 included.
// They change only when its parent ends, and it is given another.
func ancestors() map[int]bool {
	ppid := os.Getppid()
	ancestry.Lock()
	defer ancestry.Unlock()
	if ancestry.pids == nil || ancestry.parent != ppid {
		pids := map[int]bool{}
		for p, i := ppid, 0; p > 0 && i < maxChain; i++ {
			pids[p] = true
			p = parentOf(p)
		}
		ancestry.parent, ancestry.pids = ppid, pids
	}
	return ancestry.pids
}

// tgidOf is the process that the thread id belongs to, from its status:
// the kernel answers /proc/ID for a thread's id too. 0 when unknown.
func tgidOf(id int) int {
	if id <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(id) + "/status")
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte("\nTgid:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	n, _ := strconv.Atoi(strings.TrimSpace(string(line)))
	return n
}

// parentOf is the parent of process pid, from its stat (whose second
// field, the command's name in parentheses, may hold spaces and
// parentheses itself), or 0 when it cannot be read.
func parentOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	if n == pid {
		return 0
	}
	return n
}
