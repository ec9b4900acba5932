package history

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// walWriteLock is the byte of the database's -shm file that SQLite's unix
// VFS locks (fcntl, for writing) while a connection holds the write lock
// of a database in WAL mode: UNIX_SHM_BASE, 120, plus WAL_WRITE_LOCK, 0.
const walWriteLock = 120

// procLocks is the kernel's list of the file locks held on this system.
const procLocks = "/proc/locks"

// writeHolder returns the pid of a process other than this one that
// holds the write lock of the WAL-mode database db, 0 for none or when it
// cannot be told. It reads the holder from /proc/locks rather than asking
// fcntl (F_GETLK): that takes a descriptor of the -shm file, and closing
// one drops every fcntl lock this process's own connections hold on it.
func writeHolder(db string) int {
	if db == "" {
		return 0
	}
	st, err := os.Stat(db + "-shm")
	if err != nil {
		return 0
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	dev := uint64(sys.Dev) // uint32 on some ports
	file := fmt.Sprintf("%02x:%02x:%d", unix.Major(dev), unix.Minor(dev), sys.Ino)
	f, err := os.Open(procLocks)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "1: POSIX  ADVISORY  WRITE 4242 fe:00:1175 120 120"; a
		// waiter's line has "->" after the number.
		fields := strings.Fields(sc.Text())
		if len(fields) == 9 && fields[1] == "->" {
			continue
		}
		if len(fields) != 8 || fields[1] != "POSIX" || fields[3] != "WRITE" || fields[5] != file {
			continue
		}
		start, err1 := strconv.ParseInt(fields[6], 10, 64)
		end, err2 := strconv.ParseInt(fields[7], 10, 64)
		if err1 != nil || start > walWriteLock || (err2 == nil && end < walWriteLock) {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err == nil && pid > 0 && pid != os.Getpid() {
			return pid
		}
	}
	return 0
}
