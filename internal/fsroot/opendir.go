package fsroot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// OpenDir opens the directory rel inside root and judges it where it
// really is (GuardOpened). os.Root follows a symlink that stays inside the
// root, so a name on the way swapped for one (by a user who may write a
// directory there) could lead a write by path into the state dir beside
// it; a name acted on in the directory returned lands where that
// directory was judged, whatever becomes of the names above it. With
// mkdir, the missing directories are made with perm (less the umask),
// like os.Root's MkdirAll, but each in its parent as opened and judged,
// so none is made in a protected directory. The root returned is the
// caller's to close. An error is a *ProtectedError naming where the
// directory really is, or os.Root's.
func OpenDir(root *os.Root, rel string, mkdir bool, perm fs.FileMode) (*os.Root, error) {
	rel = filepath.Clean(rel)
	d, err := root.OpenRoot(rel)
	if mkdir && rel != "." && errors.Is(err, fs.ErrNotExist) {
		var parent *os.Root
		if parent, err = OpenDir(root, filepath.Dir(rel), true, perm); err != nil {
			return nil, err
		}
		err = parent.Mkdir(filepath.Base(rel), perm)
		parent.Close()
		if err == nil || errors.Is(err, fs.ErrExist) {
			d, err = root.OpenRoot(rel)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := judgeDir(d); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// testHookJudgedDir, when set, runs once OpenDir has judged a directory:
// tests swap the names on the way to it there.
var testHookJudgedDir func(dir *os.Root)

// judgeDir refuses the open directory dir when, where it really is, it is
// or lies in a protected path.
func judgeDir(dir *os.Root) error {
	if len(protectedPaths()) == 0 {
		return nil
	}
	f, err := dir.OpenFile(".", dirFlag, 0)
	if err != nil {
		return err
	}
	err = guardOpenedDir(f)
	f.Close()
	if err == nil && testHookJudgedDir != nil {
		testHookJudgedDir(dir)
	}
	return err
}
