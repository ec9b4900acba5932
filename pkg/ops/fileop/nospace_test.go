package fileop

import (
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestFullDiskSaysTheFileIsUnchanged: a write that fails for want of
// space says what became of the file and that space must be freed.
func TestFullDiskSaysTheFileIsUnchanged(t *testing.T) {
	e := newEnv(t)
	abs := filepath.Join(e.root, "app.conf")
	for _, tc := range []struct {
		errno syscall.Errno
		left  string
		want  []string
	}{
		{syscall.ENOSPC, unchanged(true), []string{"no space left", "the file is unchanged", "free space (df -h " + e.root + ")", "run the step again"}},
		{syscall.EDQUOT, unchanged(false), []string{"quota", "no file was created", "free space"}},
		{syscall.ENOSPC, "the file may end with part of the content", []string{"part of the content"}},
	} {
		err := writeFailed(e.ctx, &fs.PathError{Op: "write", Path: ".app.conf.arsenal-tmp-1-1", Err: tc.errno}, "app.conf", abs, tc.left)
		if ops.ClassOf(err) != ops.ClassExecution || !strings.HasPrefix(err.Error(), "app.conf: ") {
			t.Errorf("%v: %v, want an execution error naming app.conf", tc.errno, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %v, want it to say %q", tc.errno, err, w)
			}
		}
	}
	// The df advice is one shell word, pasted whole: a directory with a
	// space was two words, and df -h looked at neither.
	spaced := filepath.Join(e.root, "my data", "app.conf")
	err := writeFailed(e.ctx, &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, "my data/app.conf", spaced, unchanged(true))
	if want := "free space (df -h '" + filepath.Join(e.root, "my data") + "')"; !strings.Contains(err.Error(), want) {
		t.Errorf("ENOSPC in a directory with a space: %v, want it to say %q", err, want)
	}
	// Other errors read as before.
	err = writeFailed(e.ctx, &fs.PathError{Op: "open", Path: "x", Err: syscall.EROFS}, "app.conf", abs, unchanged(true))
	if !strings.Contains(err.Error(), "read-only file system") || strings.Contains(err.Error(), "free space") {
		t.Errorf("EROFS: %v", err)
	}
}
