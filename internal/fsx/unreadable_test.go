//go:build unix

package fsx

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestUnreadable: a file that does not open is told of by the reason in
// words, without the path the diagnostic names already, and with what to
// do: a directory, a FIFO, a path that is not there, one the user may not
// read.
func TestUnreadable(t *testing.T) {
	dir := t.TempDir()
	fifo := mkfifo(t)
	notRegular := func(p string) error {
		_, err := Open(p)
		return err
	}
	cases := []struct {
		name, path string
		err        error
		want       string
	}{
		{"a directory", dir, notRegular(dir),
			"cannot read the policy: it is a directory, not a regular file; give the path of the policy itself, a file in that directory or elsewhere"},
		{"a FIFO", fifo, notRegular(fifo),
			"cannot read the policy: it is a named pipe (FIFO), not a regular file; arsenal-run reads only regular files, as a pipe may never be written to: save the content to a file and give that file's path"},
		{"a device", os.DevNull, notRegular(os.DevNull),
			"cannot read the policy: it is a character device, not a regular file; give the path of the policy itself, a regular file"},
		{"missing, absolute", "/nonexistent/p.yaml", &fs.PathError{Op: "open", Path: "/nonexistent/p.yaml", Err: syscall.ENOENT},
			"cannot read the policy: no such file or directory; check the path"},
		{"missing, with a ~", "~/p.yaml", &fs.PathError{Op: "open", Path: "~/p.yaml", Err: syscall.ENOENT},
			"cannot read the policy: no such file or directory" + TildeHint("~/p.yaml", fs.ErrNotExist)},
		{"not readable", "/etc/p.yaml", &fs.PathError{Op: "open", Path: "/etc/p.yaml", Err: syscall.EACCES},
			"cannot read the policy: permission denied; the user running arsenal-run (uid " + strconv.Itoa(os.Geteuid()) + ") may not read it: make it, and the directories above it, readable by that user (chmod, chown), or run as one that may"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Unreadable("the policy", c.path, c.err); got != c.want {
				t.Errorf("Unreadable:\n got %q\nwant %q", got, c.want)
			}
		})
	}
	// A relative path that is not there: the directory it is taken from.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(filepath.Join("no", "such.yaml"))
	if got := Unreadable("the inventory", "no/such.yaml", err); !strings.HasSuffix(got, "; check the path, which is taken from the working directory "+wd) {
		t.Errorf("a relative path: %q", got)
	}
}
