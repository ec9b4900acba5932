package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// stateDirCould is what a user who may change a state dir's files could do
// to serve and schedule, whose runs have roles that user may not have.
const stateDirCould = "forge what serve and schedule read there (the result cache, which answers steps without running them, the schedules' pauses, the history) or, with a link in place of a lock file, have this process empty a file of their choosing"

// makeTrustedStateDir makes the state dir of serve or schedule (0700) when
// it is missing, then refuses one that a user other than this process's
// and root could change (stateDirProblem), with what to do.
func makeTrustedStateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return stateDirAccess(dir, err)
	}
	if msg := stateDirProblem(dir); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// stateDirProblem is the advice for a state dir that another user of the
// host could change, empty when none could: one every user may write
// (sticky bit or not: any of them could put a file there before this
// process makes it), one another user could replace (fsx.Exposed), one
// another user owns, or one holding a file or link another user owns,
// like a history database squatted while the directory was open to them.
// Group write is left to the owner's choice, as for the keys file. It is
// judged after the directory is made, so that a directory another user
// made first is seen.
func stateDirProblem(dir string) string {
	fi, err := os.Stat(dir)
	if err != nil {
		return "" // the opens that follow say what is wrong
	}
	if fi.Mode().Perm()&0o002 != 0 {
		return fmt.Sprintf("the state dir's mode %04o lets every user of this host write it and %s; make it writable by its owner and group alone: chmod o-w %s",
			fi.Mode().Perm(), stateDirCould, dir)
	}
	if msg := fsx.Exposed(dir, stateDirCould); msg != "" {
		return "the state dir " + msg
	}
	if uid, other := fsx.OwnedByOther(fi); other {
		return fmt.Sprintf("the state dir %s belongs to user %d, who can %s; use a state dir of your own (or root's), or make this one yours: chown -R %d %s",
			dir, uid, stateDirCould, os.Geteuid(), dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		info, err := e.Info() // of the entry itself: a link is judged, not followed
		if err != nil {
			continue
		}
		if uid, other := fsx.OwnedByOther(info); other {
			p := filepath.Join(dir, e.Name())
			return fmt.Sprintf("%s in the state dir belongs to user %d, who can change it and so %s; remove it, or make it yours if it is the state dir's own: chown %d %s",
				p, uid, stateDirCould, os.Geteuid(), p)
		}
	}
	return ""
}
