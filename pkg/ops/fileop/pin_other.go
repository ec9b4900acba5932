//go:build !linux

package fileop

import (
	"io/fs"
	"os"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
)

// pinned is, where there is no O_PATH, the file file.chmod and file.chown
// judge and change by its name in the root: a name swapped between the
// two is changed as it is then.
type pinned struct {
	t      *target
	follow bool
}

func pin(t *target, follow bool) (*pinned, error) { return &pinned{t, follow}, nil }

func (p *pinned) Stat() (fs.FileInfo, error) {
	if p.follow {
		return p.t.root.Stat(p.t.rel)
	}
	return p.t.root.Lstat(p.t.rel)
}

func (p *pinned) judge(abs string, fi fs.FileInfo) error { return fsroot.GuardIdentity(abs, fi) }

func (p *pinned) Chmod(mode fs.FileMode) error { return p.t.root.Chmod(p.t.rel, mode) }

func (p *pinned) Chown(uid, gid int) error { return p.t.root.Lchown(p.t.rel, uid, gid) }

func (p *pinned) Close() {}

// dirFlag opens a directory to tell where it is.
const dirFlag = os.O_RDONLY
