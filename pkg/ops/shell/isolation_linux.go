package shell

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// hideProcess makes this process non-dumpable: processes of the same user,
// the steps it runs among them, can then neither read its /proc entries
// (environ, fd, mem, maps) nor ptrace it, and it leaves no core dump that
// would hold its secrets. execve makes a program dumpable again, so the
// programs it starts, the sandbox helper and the watchdog included, are
// not affected; this process can still read its own /proc/self, except for
// the few entries only their owner may open (environ, io, mem).
func hideProcess() error {
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}

// closeInheritedFiles marks every descriptor from 3 up close-on-exec, so
// that the sandboxed program gets only its standard streams, whatever
// descriptors arsenal-run itself was started with.
func closeInheritedFiles() error {
	err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
		return err
	}
	// Kernels before 5.11 lack CLOSE_RANGE_CLOEXEC.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < 3 {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && !errors.Is(err, unix.EBADF) {
			return err // EBADF: the descriptor ReadDir itself used
		}
	}
	return nil
}

// userNamespace maps the sandbox's user namespace, which a process other
// than root needs for a network namespace. Go's os/exec would write the
// maps while the new process is still a copy of arsenal-run, which is not
// dumpable, so its /proc files belong to root and the write is refused.
// Instead the helper, once it has executed (and so is dumpable), says so
// on its end of a socket pair and waits; the parent writes the maps and
// answers.
type userNamespace struct {
	uid, gid     int
	parent, peer *os.File // peer is the helper's end, fd 4
}

func newUserNamespace(uid, gid int) (*userNamespace, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &userNamespace{uid: uid, gid: gid,
		parent: os.NewFile(uintptr(fds[0]), "sandbox-userns"),
		peer:   os.NewFile(uintptr(fds[1]), "sandbox-userns-helper")}, nil
}

// mapIDs waits for the helper pid to have executed, then maps the uid and
// gid of arsenal-run to themselves in its user namespace and lets it go
// on. A helper that exits first leaves the socket at end of file: the
// error pipe then says why.
func (u *userNamespace) mapIDs(pid int) error {
	u.peer.Close()
	u.peer = nil
	b := make([]byte, 1)
	if n, _ := u.parent.Read(b); n == 0 {
		return nil
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	for _, w := range []struct{ file, data string }{
		{"uid_map", fmt.Sprintf("%d %d 1\n", u.uid, u.uid)},
		{"setgroups", "deny"},
		{"gid_map", fmt.Sprintf("%d %d 1\n", u.gid, u.gid)},
	} {
		if err := os.WriteFile(dir+w.file, []byte(w.data), 0); err != nil {
			return fmt.Errorf("sandbox: mapping the user of the sandbox's user namespace: %w; the step did not run", err)
		}
	}
	_, err := u.parent.Write(b)
	return err
}

func (u *userNamespace) close() {
	for _, f := range []*os.File{u.parent, u.peer} {
		if f != nil {
			f.Close()
		}
	}
}

// awaitUserNamespace is the helper's side of mapIDs, on fd 4.
func awaitUserNamespace() error {
	f := os.NewFile(4, "sandbox-userns")
	defer f.Close()
	b := []byte{1}
	if _, err := f.Write(b); err != nil {
		return err
	}
	if n, err := f.Read(b); n == 0 {
		return fmt.Errorf("no answer from arsenal-run: %w", err)
	}
	return nil
}

// nprocUsable says whether RLIMIT_NPROC, in a user namespace of the
// sandbox's own, can bound its processes exactly, cgErr being why no
// cgroup does. Outside one it counts every task of the user, arsenal-run's
// threads included, which change all the time, so no limit there would be
// exact; root it does not limit at all.
func nprocUsable(cgErr error) error {
	why := ""
	switch {
	case os.Geteuid() == 0:
		why = "arsenal-run runs as root, which RLIMIT_NPROC does not limit"
	case !userNamespacesAllowed():
		why = "unprivileged user namespaces, in which RLIMIT_NPROC would count the sandbox's processes alone, are disabled"
	case !kernelAtLeast(5, 14):
		why = "this kernel (before 5.14) counts RLIMIT_NPROC across user namespaces, so it cannot count the sandbox's processes alone"
	default:
		return nil
	}
	fix := "run where cgroups are writable"
	if os.Geteuid() != 0 {
		fix = "run where cgroups are writable or user namespaces are allowed"
	}
	return fmt.Errorf("sandbox: the processes limit cannot be enforced on this host: no cgroup pids controller is writable (%v), and %s; "+
		"remove processes from the sandbox or %s; the step did not run", cgErr, why, fix)
}

// userNamespacesAllowed reports whether the sysctls that can forbid
// unprivileged user namespaces allow them.
func userNamespacesAllowed() bool {
	for _, f := range []string{"/proc/sys/user/max_user_namespaces", "/proc/sys/kernel/unprivileged_userns_clone"} {
		if b, err := os.ReadFile(f); err == nil && strings.TrimSpace(string(b)) == "0" {
			return false
		}
	}
	return true
}

// kernelAtLeast reports whether the running kernel is at least major.minor.
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	var ma, mi int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}
