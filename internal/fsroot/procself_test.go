package fsroot

import (
	"os"
	"strconv"
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
		"/proc/1/environ":                   pid == "1",
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
