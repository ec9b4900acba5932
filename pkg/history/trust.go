package history

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// Foreign names what of the state dir dir a user other than this
// process's and root owns, outside the directories
// $ARSENAL_SAFE_DIRECTORIES names (as every file arsenal-run trusts), and that user: the directory (or a link in its
// place), or a file, folder or link in it, like a history database put
// there while the directory was open to them. Such a user can change it
// at any time: forge the result cache, which answers steps without
// running them, or read the reports written there. Found is false when
// all is this user's or root's, or dir cannot be read (the opens that
// follow say why).
func Foreign(dir string) (path string, uid int, found bool) {
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if uid, other := fsx.OwnedByOther(fi); other && !fsx.SafeOwned(dir, uid) {
			return dir, uid, true
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", 0, false
	}
	if uid, other := fsx.OwnedByOther(fi); other && !fsx.SafeOwned(dir, uid) {
		return dir, uid, true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", 0, false
	}
	for _, e := range entries {
		info, err := e.Info() // of the entry itself: a link is judged, not followed
		if err != nil {
			continue
		}
		if uid, other := fsx.OwnedByOther(info); other && !fsx.SafeOwned(filepath.Join(dir, e.Name()), uid) {
			return filepath.Join(dir, e.Name()), uid, true
		}
	}
	return "", 0, false
}

// foreignError refuses a state dir Foreign finds another user's file in,
// naming it, with what to do.
func foreignError(dir string) error {
	p, uid, found := Foreign(dir)
	if !found {
		return nil
	}
	const could = "who can change what is recorded there (the result cache answers steps without running them) and read the reports written there"
	if p == dir {
		return fmt.Errorf("history: the state dir %s belongs to user %d, %s; use a state dir of your own (--state-dir or $ARSENAL_STATE_DIR), or, if it is meant to be yours, make it so: chown -R %d %s; %s",
			dir, uid, could, os.Geteuid(), dir, fsx.SafeHint(dir, uid))
	}
	return fmt.Errorf("history: %s in the state dir belongs to user %d, %s; remove it, or make it yours if it is the state dir's own: chown %d %s; or use a state dir of your own; %s",
		p, uid, could, os.Geteuid(), p, fsx.SafeHint(dir, uid))
}

// LinkTargetMissing is, for err of making the state dir dir, the advice
// when dir is a symbolic link whose target does not exist, which making
// it fails with a bare "file exists"; nil otherwise.
func LinkTargetMissing(dir string, err error) error {
	if !errors.Is(err, fs.ErrExist) {
		return nil
	}
	target, lerr := os.Readlink(dir)
	if lerr != nil {
		return nil
	}
	resolved := target
	if !filepath.IsAbs(target) {
		resolved = filepath.Join(filepath.Dir(dir), target)
	}
	if _, serr := os.Stat(resolved); serr == nil {
		return nil
	}
	return fmt.Errorf("the state dir %s is a symbolic link to %s, which does not exist: make that directory (mkdir -m 700 -p %s), or give the state dir's own path (--state-dir or $ARSENAL_STATE_DIR)",
		dir, target, resolved)
}
