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
// whatever its mode. It is how sshd's StrictModes and sudo judge the
// directories above a file they trust, less their refusal of group write
// (a group the owner shares on purpose). A file or directory on the path
// that does not exist yet is judged by the directory it would be made in:
// one every user may write, sticky bit or not, or one another user owns,
// lets them make it first. The file's own mode and owner are
// AnyoneMayWrite's.
func Exposed(path, could string) string {
	return exposed(path, could, os.Geteuid())
}

func exposed(path, could string, me int) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	trusted := func(uid uint32) bool { return uid == 0 || int(uid) == me }
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
		if absent && dir.mode&0o002 != 0 {
			return missing(cur, next, could, dir.mode)
		}
		if err != nil && !absent {
			return ""
		}
		if dir.mode&0o002 == 0 && !trusted(dir.uid) {
			return foreignDir(cur, next, could, dir.uid, me, fi)
		}
		if absent {
			return ""
		}
		if dir.mode&0o002 != 0 {
			if dir.mode&fs.ModeSticky == 0 {
				return fmt.Sprintf("is in %s, a directory every user of this host may write (mode %04o): any of them can rename a file of their own over %s and %s; make the directory writable by its owner alone (chmod o-w %s), or keep the file in a directory of your own",
					cur, dir.mode.Perm(), next, could, cur)
			}
			st, _ := fi.Sys().(*syscall.Stat_t)
			switch {
			case st != nil && !trusted(st.Uid):
				return fmt.Sprintf("is in %s, a directory every user of this host may write, and %s there is owned by user %d, who can replace it and %s; keep the file in a directory of your own", cur, next, st.Uid, could)
			case !trusted(dir.uid):
				return fmt.Sprintf("is in %s, a directory every user of this host may write, owned by user %d, who can replace %s there and %s; keep the file in a directory of your own", cur, dir.uid, next, could)
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
// cur every user may write (mode): any of them can make it, sticky bit or
// not (it keeps others' files, not new ones, out), before it is read.
func missing(cur, next, could string, mode fs.FileMode) string {
	fix, bits := "keep the file in a directory of your own", mode.Perm()
	if mode&fs.ModeSticky == 0 {
		fix = fmt.Sprintf("make the directory writable by its owner alone (chmod o-w %s), or %s", cur, fix)
	} else {
		bits |= 0o1000
	}
	return fmt.Sprintf("would be in %s, a directory every user of this host may write (mode %04o), and %s does not exist: any of them can create it and %s; %s",
		cur, bits, next, could, fix)
}

// foreignDir is Exposed's advice for next, looked up in the directory cur
// that user uid, neither root nor me, owns: they may rename a file or
// directory of their own over next (fi, from Lstat), or, when it is not
// there (fi nil), make it, whatever the directory's mode.
func foreignDir(cur, next, could string, uid uint32, me int, fi fs.FileInfo) string {
	fix := fmt.Sprintf("keep it where %s owns every directory above it, or make root own %s: chown root %s",
		trustedOwners(me), cur, cur)
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
func ForeignOwner(fi fs.FileInfo, path, what, could string) string {
	uid, other := OwnedByOther(fi)
	if !other {
		return ""
	}
	return fmt.Sprintf("%s is owned by %s, who can change it at any time and %s; make root own it (chown root %s), or keep a copy where %s owns it and every directory above it",
		what, userName(uid), could, path, trustedOwners(os.Geteuid()))
}

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
	mode fs.FileMode
	uid  uint32
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
	return dirInfo{mode: fi.Mode(), uid: st.Uid}, true
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
