package fileop

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// pinned is the very file file.chmod and file.chown judge and then
// change: an O_PATH descriptor opened through the root, so that a name
// swapped meanwhile, for a hard link or a symlink to a key in the state
// dir, changes nothing but the file that was judged. O_PATH needs no read
// permission, so a file of mode 0000, or a directory its owner may not
// list, is pinned as well.
type pinned struct{ f *os.File }

// maxLinks is how many symlinks pin follows at the last name, as the
// kernel's limit.
const maxLinks = 40

// errEscapes is os.Root's refusal of a path that leaves the root, said as
// it says it (fsroot.IsEscape tells it by its text).
var errEscapes = errors.New("path escapes from parent")

// pin opens rel in t's root. With follow, a symlink at the last name is
// followed inside the root as os.Root follows one (its target taken from
// the directory the link really is in, linkDir; an absolute one leaves
// the root); without, the symlink itself is pinned. The directories on
// the way are followed inside the root, as by every root operation.
func pin(t *target, follow bool) (*pinned, error) {
	rel := t.rel
	for range maxLinks {
		f, err := t.root.OpenFile(rel, unix.O_PATH, 0)
		if err != nil {
			return nil, err
		}
		p := &pinned{f}
		if !follow {
			return p, nil
		}
		fi, err := p.Stat()
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			if err != nil {
				p.Close()
				return nil, err
			}
			return p, nil
		}
		link, err := p.readlink()
		p.Close()
		if err != nil {
			return nil, err
		}
		if filepath.IsAbs(link) {
			return nil, &fs.PathError{Op: "openat", Path: rel, Err: errEscapes}
		}
		rel = filepath.Join(linkDir(t.root, filepath.Dir(rel)), link)
	}
	return nil, &fs.PathError{Op: "openat", Path: t.rel, Err: syscall.ELOOP}
}

// linkDir is dir, the directory of a symlink in root, as the path of the
// directory it really is in root: a link's target is taken from there, so
// that its .. leaves that directory, as the kernel follows it, not the
// name the path gave it (current/config/db.yml -> ../../../shared/...,
// current a link to releases/v2). dir as it is when that cannot be told
// (no /proc).
func linkDir(root *os.Root, dir string) string {
	if dir == "." {
		return dir
	}
	top, err := realPath(root, ".")
	if err != nil {
		return dir
	}
	real, err := realPath(root, dir)
	if err != nil {
		return dir
	}
	rel, err := filepath.Rel(top, real)
	if err != nil || !filepath.IsLocal(rel) {
		return dir
	}
	return rel
}

// realPath is where the directory name in root really is, as the kernel
// tells it of a descriptor of it.
func realPath(root *os.Root, name string) (string, error) {
	f, err := root.OpenFile(name, dirFlag, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var path string
	err = (&pinned{f}).at("readlink", func(fd int) error {
		var err error
		path, err = os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		return err
	})
	return path, err
}

// Stat describes the pinned file itself (fstat).
func (p *pinned) Stat() (fs.FileInfo, error) { return p.f.Stat() }

// judge refuses the pinned file when it is protected: by its identity (a
// hard link, fsroot.GuardIdentity, judged on fi, which Stat gave) and by
// where it really is (a symlink swapped in on the way,
// fsroot.GuardOpened).
func (p *pinned) judge(abs string, fi fs.FileInfo) error {
	return guardFile(abs, p.f, fi)
}

// Chmod sets the mode of the pinned file: fchmodat2(2) with AT_EMPTY_PATH,
// or, on kernels before 6.6 (or where a sandbox refuses that call), chmod
// through its /proc/self/fd link, which
// leads to the file the descriptor holds whatever its names now.
func (p *pinned) Chmod(mode fs.FileMode) error {
	m := uint32(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		m |= unix.S_ISUID
	}
	if mode&fs.ModeSetgid != 0 {
		m |= unix.S_ISGID
	}
	if mode&fs.ModeSticky != 0 {
		m |= unix.S_ISVTX
	}
	return p.at("chmod", func(fd int) error {
		err := unix.Fchmodat(fd, "", m, unix.AT_EMPTY_PATH)
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) {
			err = unix.Fchmodat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), m, 0)
		}
		return err
	})
}

// Chown sets the owner and group of the pinned file (-1 keeps one), a
// symlink's own when a symlink is pinned.
func (p *pinned) Chown(uid, gid int) error {
	return p.at("chown", func(fd int) error {
		return unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH)
	})
}

func (p *pinned) readlink() (string, error) {
	var link string
	err := p.at("readlink", func(fd int) error {
		for n := 256; ; n *= 2 {
			b := make([]byte, n)
			got, err := unix.Readlinkat(fd, "", b)
			if err != nil {
				return err
			}
			if got < n {
				link = string(b[:got])
				return nil
			}
		}
	})
	return link, err
}

// at runs f on the descriptor, its error as a *fs.PathError naming the
// file as opened.
func (p *pinned) at(op string, f func(fd int) error) error {
	rc, err := p.f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	if ferr != nil {
		return &fs.PathError{Op: op, Path: p.f.Name(), Err: ferr}
	}
	return nil
}

func (p *pinned) Close() { p.f.Close() }

// dirFlag opens a directory to tell where it is: O_PATH, so that one its
// owner may write but not list (a drop box, 0300) is opened too.
const dirFlag = unix.O_PATH | unix.O_DIRECTORY
