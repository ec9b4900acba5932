package fsroot

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// PrivateBase returns the directory, under the temporary directory, where
// arsenal-run keeps what it makes for a run while the run lasts: a shell
// step's ARSENAL_OUTPUT file and sandbox directory, the lock files of
// concurrency groups without a state dir. The run reads these back and
// trusts them, and the temporary directory is a file root of every role
// that sets none, so no file operation touches this directory, in any
// arsenal-run process, whether or not it exists yet: another caller's
// file.write must not steer a run by writing into its step's files.
func PrivateBase() string {
	name := "arsenal-run"
	if uid := os.Getuid(); uid >= 0 {
		name += "-" + strconv.Itoa(uid)
	}
	return filepath.Join(os.TempDir(), name)
}

// privateProtected is the PrivateBase last protected: the temporary
// directory may change (TMPDIR set by a test), and each one's base is
// protected once.
var privateProtected atomic.Pointer[string]

// protectPrivate protects the current PrivateBase if it is not yet.
func protectPrivate() {
	base := PrivateBase()
	if p := privateProtected.Load(); p != nil && *p == base {
		return
	}
	Protect(base, "private runtime dir")
	privateProtected.Store(&base)
}

// MakePrivateBase makes PrivateBase, mode 0700, when it is missing, checks
// that it is a directory of this user's that no one else may write (the
// temporary directory is shared: another user may have made the name
// first, to read or plant the files of this user's runs), and returns it.
func MakePrivateBase() (string, error) {
	protectPrivate()
	base := PrivateBase()
	if err := securePrivate(base); err != nil {
		return "", err
	}
	return base, nil
}

// MkdirPrivate makes a new directory, mode 0700, named after pattern as
// os.MkdirTemp names it, in PrivateBase: a directory that lives as long as
// a step, that the step's program may use as any other, and that no file
// operation of any caller reaches.
func MkdirPrivate(pattern string) (string, error) {
	base, err := MakePrivateBase()
	if err != nil {
		return "", err
	}
	return os.MkdirTemp(base, pattern)
}

// privateDirError is the refusal of a PrivateBase that is not this user's
// own, with what to do.
func privateDirError(dir, why string) error {
	return fmt.Errorf("arsenal-run's private runtime directory %s %s; remove it (rm -r %s) or set TMPDIR to a directory of this user's", dir, why, dir)
}
