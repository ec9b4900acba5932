package fsroot

import (
	"io/fs"
	"os"
)

// GuardIdentity is Guard for the file fi describes, as opened at the
// absolute path abs, by what it is rather than where: a hard link gives a
// protected file (a key in the state dir, a keys file) a name of its own,
// which the path checks let through. A regular file with one name (most)
// is no other; one with more is refused when it is a protected file or a
// file in a protected directory, compared by device and inode. The
// directories are walked only for such a file, and only those on its
// device: a hard link never crosses one; a walk is kept while the tree
// walked is unchanged (see walks).
func GuardIdentity(abs string, fi fs.FileInfo) error { return guardIdentity(abs, fi, "") }

func guardIdentity(abs string, fi fs.FileInfo, readable string) error {
	if fi == nil || !fi.Mode().IsRegular() || links(fi) < 2 {
		return nil
	}
	for _, p := range currentForms() {
		if readable == loading && p.loadable {
			continue
		}
		pfi, err := os.Stat(p.path)
		if err != nil {
			continue
		}
		if pfi.Mode().IsRegular() {
			if os.SameFile(pfi, fi) && !(readable != "" && p.what == readable) {
				return &ProtectedError{Path: abs, Protected: p.path, What: p.what, Link: p.path}
			}
			continue
		}
		if !pfi.IsDir() || device(pfi) != device(fi) {
			continue
		}
		found := protectedIn(p.path, fi)
		if found != "" {
			return &ProtectedError{Path: abs, Protected: p.path, What: p.what, Link: found}
		}
	}
	return nil
}
