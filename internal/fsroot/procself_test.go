package fsroot

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestOwnProcEntries: this process's entries under /proc are refused by
// every name that reaches one, and nothing else under /proc is; a form
// with nothing behind it, as a pipe on stdin resolves to, is left to the
// check that names it as the pipe it is.
func TestOwnProcEntries(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc:", err)
	}
	pid := strconv.Itoa(os.Getpid())
	for path, refused := range map[string]bool{
		"/proc/self/environ":                true,
		"/proc/thread-self/environ":         true,
		"/proc/" + pid + "/cmdline":         true,
		"/proc/" + pid:                      true,
		"/proc/self/root":                   true,
		"/proc/" + pid + "/fd/pipe:[12345]": false,
		"/proc/1/environ":                   true, // the processes it descends from start there
		"/proc/meminfo":                     false,
		"/proc/" + pid + "0/environ":        false, // not this process's, nor there
		"/proc/0" + pid + "/environ":        false, // not how the kernel names it
		"/procx/self/environ":               false,
	} {
		if got := ownProcErr(path) != nil; got != refused {
			t.Errorf("ownProcErr(%q) refuses: %v, want %v", path, got, refused)
		}
	}
	if err := Guard("/proc/self/environ"); err == nil {
		t.Error("Guard lets /proc/self/environ through")
	}
}

// TestKinProcEntries: the entries of the processes this one descends from
// and of those it started are refused too, threads' ids included: their
// environ holds what it was started with, which it inherited or passed
// on (a shell step's, or a process.start daemon's, holds it with the
// step's env: besides). Before, a role whose roots held /proc read a
// password arsenal-run was started with from its child's environ.
func TestKinProcEntries(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc:", err)
	}
	cmd := exec.Command("cat")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start cat:", err)
	}
	defer func() {
		in.Close()
		cmd.Wait()
	}()
	child := strconv.Itoa(cmd.Process.Pid)
	parent := strconv.Itoa(os.Getppid())
	for _, path := range []string{"/proc/" + child + "/environ", "/proc/" + child + "/task/" + child + "/environ", "/proc/" + parent + "/environ"} {
		e := ownProcErr(path)
		if e == nil {
			t.Errorf("ownProcErr(%q) lets it through", path)
			continue
		}
		if msg := e.Error(); !strings.Contains(msg, "is in arsenal-run's process entries of a process it was started by or started /proc/") {
			t.Errorf("ownProcErr(%q): %s", path, msg)
		}
		if !errors.Is(Guard(path), e.Unwrap()) {
			t.Errorf("Guard(%q) lets it through", path)
		}
	}
	for _, path := range []string{"/proc/meminfo", "/proc/sys/kernel/pid_max"} {
		if e := ownProcErr(path); e != nil {
			t.Errorf("ownProcErr(%q): %v", path, e)
		}
	}
}
