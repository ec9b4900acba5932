package fileop

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/tmpl"
)

// compareWrite says whether writing content with mode over fi, what lies
// at t.rel (nil when nothing does), changes anything, and with withDiff
// the diff of the content. Anything but a regular file is replaced, so
// changed. A regular file changes when its content or its mode differs;
// without a mode param only its permission bits count, as for
// file.template: setuid, setgid or sticky alone make no change. Its
// content is read only when the sizes match or a diff is asked for.
func compareWrite(t *target, fi fs.FileInfo, content string, mode fs.FileMode, modeGiven, withDiff bool) (bool, string, error) {
	if fi == nil || !fi.Mode().IsRegular() {
		diff := ""
		if withDiff {
			diff = diffOf(t.abs, "new", "", content, false)
		}
		return true, diff, nil
	}
	oldMode := fi.Mode().Perm()
	if modeGiven {
		oldMode = fi.Mode() & modeBits
	}
	sameSize := fi.Size() == int64(len(content))
	if !sameSize && !withDiff {
		return true, "", nil
	}
	if withDiff && (fi.Size() > tmpl.MaxOutput || len(content) > tmpl.MaxOutput) {
		// Too large to diff line by line in the time of a step; equal
		// content is still told apart.
		changed := !sameSize || mode != oldMode
		if !changed {
			b, err := readCurrent(t)
			if err != nil {
				return false, "", err
			}
			changed = string(b) != content
		}
		diff := ""
		if changed {
			diff = fmt.Sprintf("(the current file is %d bytes and the new content %d, too large to compare line by line)\n", fi.Size(), len(content))
		}
		return changed, diff, nil
	}
	b, err := readCurrent(t)
	if err != nil {
		return false, "", err
	}
	current := string(b)
	diff := ""
	if withDiff {
		diff = diffOf(t.abs, "new", current, content, true)
	}
	return current != content || mode != oldMode, diff, nil
}

// readCurrent reads the file at t.rel, the one a write or a template
// would replace, to compare or diff it: not when it is a protected file
// under another name (a hard link; fsroot.GuardIdentity), judged on the
// file as opened.
func readCurrent(t *target) ([]byte, error) {
	f, err := t.root.OpenFile(t.rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := guardFile(t.abs, f, fi); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}
