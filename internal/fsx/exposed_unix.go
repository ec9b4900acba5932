//go:build unix

package fsx

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// maxLinks bounds the symbolic links Exposed follows, as the kernel does.
const maxLinks = 40

// Exposed is the advice for a path that a user other than this process's
// and root could swap for a file of their own, naming what such a user
// could then do, like "add a key with any role"; empty when none could.
// It reads after the file's name: "the keys file is in …". It
// walks the path as the kernel resolves it, through every symbolic link,
// and judges each directory a name is looked up in: one every user may
// write (mode o+w) lets any of them rename another file over the name,
// unless it has the sticky bit (like /tmp); then only the owner of the
// entry and of the directory may, so both must be this process's user or
// root. Any other directory must be owned by this process's user or root
// too: its owner may rename a file of their own over any name in it,
// whatever its mode. One its group may write (g+w) is judged as one every
// user may write, unless that group is root's or its owner's alone
// (trustedGroup): its members may do what every user could. It is how
// sshd's StrictModes and sudo judge the directories above a file they
// trust. A file or directory on the path that does not exist yet is
// judged by the directory it would be made in: one every user (or such a
// group) may write, sticky bit or not, or one another user owns, lets
// them make it first. A directory $ARSENAL_SAFE_DIRECTORIES names, and
// any below it, is not refused for its owner or group (safeEntry); every
// user's write always is. The file's own mode and owner are
// AnyoneMayWrite's.
func Exposed(path, could string) string {
	return exposed(path, could, os.Geteuid())
}

// ExposedToOthers is Exposed for what a group may be let write by its
// owner's choice (a state dir shared by a team): a directory on the path
// its group may write is not judged so.
func ExposedToOthers(path, could string) string {
	return walk{me: os.Geteuid(), groupOK: true}.exposed(path, could)
}

func exposed(path, could string, me int) string {
	return walk{me: me}.exposed(path, could)
}

// walk is how Exposed judges a path: for the user me, and whether a
// directory's group may write it without that being refused (groupOK).
type walk struct {
	me      int
	groupOK bool
}

func (w walk) trusted(uid uint32) bool { return uid == 0 || int(uid) == w.me }

// writers is who, besides the owner and root, may write the directory
// cur (dir): every user (o+w), the members of a group not the owner's
// alone (g+w, unless w.groupOK or cur is a safe directory), or no one
// (""); and the chmod that takes that away.
func (w walk) writers(cur string, dir dirInfo) (who, chmod string) {
	switch {
	case dir.mode&0o002 != 0:
		return "every user of this host", "o-w"
	case dir.mode&0o020 != 0 && !w.groupOK && !trustedGroup(dir.gid, dir.uid):
		if entry := safeEntry(cur); entry != "" {
			usedSafe(entry, cur, "a directory "+membersOf(dir.gid)+" may write")
			return "", ""
		}
		return membersOf(dir.gid), "g-w"
	}
	return "", ""
}

func (w walk) exposed(path, could string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	cur, rest, links := "/", split(abs), 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		if name == "." || name == "" {
			continue
		}
		if name == ".." {
			cur = filepath.Dir(cur)
			continue
		}
		dir, ok := owner(cur)
		if !ok {
			return "" // the open that follows says what is wrong
		}
		next := filepath.Join(cur, name)
		fi, err := os.Lstat(next)
		absent := errors.Is(err, fs.ErrNotExist)
		who, chmod := w.writers(cur, dir)
		if absent && who != "" {
			return missing(cur, next, could, dir.mode, who, chmod)
		}
		if err != nil && !absent {
			return ""
		}
		if dir.mode&0o002 == 0 && !w.trusted(dir.uid) {
			if entry := safeEntry(cur); entry != "" {
				usedSafe(entry, cur, "a directory owned by "+userName(int(dir.uid)))
			} else {
				return foreignDir(cur, next, could, dir.uid, w.me, fi)
			}
		}
		if absent {
			return ""
		}
		if who != "" {
			if dir.mode&fs.ModeSticky == 0 {
				msg := fmt.Sprintf("is in %s, a directory %s may write (mode %s): any of them can rename a file of their own over %s and %s; make the directory writable by its owner alone (chmod %s %s), or keep the file in a directory of your own",
					cur, who, Octal(dir.mode), next, could, chmod, cur)
				if chmod == "g-w" {
					// A group the owner chose (staff on /usr/local, as
					// some systems make it) may be trusted by name.
					msg += "; " + safeHint(cur, who)
				}
				return msg
			}
			st, _ := fi.Sys().(*syscall.Stat_t)
			switch {
			case st != nil && !w.trusted(st.Uid):
				return fmt.Sprintf("is in %s, a directory %s may write, and %s there is owned by user %d, who can replace it and %s; keep the file in a directory of your own", cur, who, next, st.Uid, could)
			case !w.trusted(dir.uid):
				return fmt.Sprintf("is in %s, a directory %s may write, owned by user %d, who can replace %s there and %s; keep the file in a directory of your own", cur, who, dir.uid, next, could)
			}
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return ""
		}
		target, err := os.Readlink(next)
		if err != nil {
			return ""
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		rest = append(split(target), rest...)
	}
	return ""
}

// missing is Exposed's advice for next, not there yet, whose directory
// cur who may write (mode; chmod takes that away): any of them can make
// it, sticky bit or not (it keeps others' files, not new ones, out),
// before it is read.
func missing(cur, next, could string, mode fs.FileMode, who, chmod string) string {
	fix := "keep the file in a directory of your own"
	if mode&fs.ModeSticky == 0 {
		fix = fmt.Sprintf("make the directory writable by its owner alone (chmod %s %s), or %s", chmod, cur, fix)
	}
	return fmt.Sprintf("would be in %s, a directory %s may write (mode %s), and %s does not exist: any of them can create it and %s; %s",
		cur, who, Octal(mode), next, could, fix)
}

// foreignDir is Exposed's advice for next, looked up in the directory cur
// that user uid, neither root nor me, owns: they may rename a file or
// directory of their own over next (fi, from Lstat), or, when it is not
// there (fi nil), make it, whatever the directory's mode.
func foreignDir(cur, next, could string, uid uint32, me int, fi fs.FileInfo) string {
	fix := fmt.Sprintf("keep it where %s owns every directory above it, or make root own %s: chown root %s; %s",
		trustedOwners(me), cur, cur, safeHint(cur, userName(int(uid))))
	if fi == nil {
		return fmt.Sprintf("would be in %s, a directory owned by %s, and %s does not exist: they can create it and %s; %s",
			cur, userName(int(uid)), next, could, fix)
	}
	kind := "a file"
	if fi.IsDir() {
		kind = "a directory"
	}
	return fmt.Sprintf("is in %s, a directory owned by %s, who can rename %s of their own over %s at any time and %s; %s",
		cur, userName(int(uid)), kind, next, could, fix)
}

// ForeignOwner is the advice for a file or directory, what (like "the
// keys file") at path, whose fi, from a Stat, says that a user other than
// this process's and root owns it: they may rewrite it, or change its
// mode, at any time, and so do could. Empty when root or this process's
// user owns it. It is sshd's StrictModes and sudo's rule for the files
// they trust.
//
// A file in a directory $ARSENAL_SAFE_DIRECTORIES names is not refused
// so (see safeEntry).
func ForeignOwner(fi fs.FileInfo, path, what, could string) string {
	uid, other := OwnedByOther(fi)
	if !other {
		return ""
	}
	real := realPath(path)
	if entry := safeEntry(real); entry != "" {
		usedSafe(entry, real, "owned by "+userName(uid))
		return ""
	}
	return fmt.Sprintf("%s is owned by %s, who can change it at any time and %s; make root own it (chown root %s), or keep a copy where %s owns it and every directory above it; %s",
		what, userName(uid), could, path, trustedOwners(os.Geteuid()), safeHint(hintDir(fi, real), userName(uid)))
}

// SafeOwned reports whether path, which user uid owns, is at or below a
// directory $ARSENAL_SAFE_DIRECTORIES names, and so trusted whoever owns
// it; the OnSafeUse hooks are told when it is.
func SafeOwned(path string, uid int) bool {
	real := realPath(path)
	entry := safeEntry(real)
	if entry != "" {
		usedSafe(entry, real, "owned by "+userName(uid))
	}
	return entry != ""
}

// SafeHint is a refusal's word on $ARSENAL_SAFE_DIRECTORIES for a
// directory dir that user uid owns or has a file in.
func SafeHint(dir string, uid int) string { return safeHint(realPath(dir), userName(uid)) }

// userName is "user UID (NAME)", or "user UID" when no account has uid.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return fmt.Sprintf("user %d (%s)", uid, u.Username)
	}
	return fmt.Sprintf("user %d", uid)
}

// trustedOwners names who may own what a process of user me trusts.
func trustedOwners(me int) string {
	if me == 0 {
		return "root"
	}
	return "root or " + userName(me)
}

type dirInfo struct {
	mode     fs.FileMode
	uid, gid uint32
}

// owner is the mode and owner of the directory dir.
func owner(dir string) (dirInfo, bool) {
	fi, err := os.Stat(dir)
	if err != nil {
		return dirInfo{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return dirInfo{}, false
	}
	return dirInfo{mode: fi.Mode(), uid: st.Uid, gid: st.Gid}, true
}

func split(p string) []string {
	return strings.Split(p, "/")
}

// OwnedByOther reports whether fi, from a Stat or Lstat, is owned by a
// user other than this process's and root, and that owner's uid: such a
// user can change the file, or the directory's entries, at any time.
func OwnedByOther(fi fs.FileInfo) (uid int, other bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), st.Uid != 0 && int(st.Uid) != os.Geteuid()
}
