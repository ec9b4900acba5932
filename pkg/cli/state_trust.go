package cli

import (
	"fmt"
	"os"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/history"
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
// process makes it), one another user could replace (fsx.Exposed: in a
// directory of theirs, say), one another user owns, or one holding a file
// or link another user owns, like a history database squatted while the
// directory was open to them.
// Group write is left to the owner's choice, as for the keys file. It is
// judged after the directory is made, so that a directory another user
// made first is seen.
func stateDirProblem(dir string) string {
	p, uid, found := history.Foreign(dir)
	if found && p == dir {
		return fmt.Sprintf("the state dir %s belongs to user %d, who can %s; use a state dir of your own (or root's), or make this one yours: chown -R %d %s; %s",
			dir, uid, stateDirCould, os.Geteuid(), dir, fsx.SafeHint(dir, uid))
	}
	if msg := fsx.PathOthersMayWrite(dir, "the state dir", stateDirCould); msg != "" {
		return msg
	}
	if found {
		return fmt.Sprintf("%s in the state dir belongs to user %d, who can change it and so %s; remove it, or make it yours if it is the state dir's own: chown %d %s; %s",
			p, uid, stateDirCould, os.Geteuid(), p, fsx.SafeHint(dir, uid))
	}
	return ""
}

// stateDirCouldForRun is what a user who may put files in a state dir
// could do to the runs that record there.
const stateDirCouldForRun = "put a file there that the next run reads (a history database, or its journal, whose result cache answers steps without running them)"

// stateDirWarning is the warning for run about its state dir when another
// user could add files to it: every user may write it, or a directory
// above it lets another user replace it. It is the caller's own choice (a
// state dir of theirs in /tmp is normal), so run is warned, not refused;
// what another user already owns there history.Open refuses.
func stateDirWarning(dir string) string {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return ""
	}
	if fi.Mode().Perm()&0o002 != 0 {
		return fmt.Sprintf("the state dir %s (mode %s) lets every user of this host write it, and any of them could %s; make it this user's alone: chmod o-w %s",
			dir, fsx.Octal(fi.Mode()), stateDirCouldForRun, dir)
	}
	if msg := fsx.ExposedToOthers(dir, stateDirCouldForRun); msg != "" {
		return "the state dir " + msg
	}
	return ""
}
