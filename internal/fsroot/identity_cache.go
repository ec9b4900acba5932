package fsroot

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// walks keeps, per protected directory, what a walk of it found, so that
// checking many files of several names (an archive of a tree of hard
// links) walks a state dir of thousands of reports once, not once per
// file. A walk is used again only while every directory in the tree has
// the inode and modification time it had: a name added, removed
// or renamed anywhere in it changes its directory's times, so a new
// report, a key replaced or a link made there is seen at the next check.
var walks struct {
	sync.Mutex
	m map[string]*walk
}

// racyWindow is how recent a directory's times may be for a walk of it
// to be kept: a change made in the same tick of the file system's clock
// as the walk would leave the times as they were, so a tree changed that
// recently is walked again at the next check.
const racyWindow = time.Second

// walk is what a walk of a protected directory found.
type walk struct {
	dirs  []dirStamp
	files map[fileID]struct{}
}

// stamp is what a change of a directory's entries changes: its device
// and inode (a directory replaced) and its modification time.
type stamp struct {
	id    fileID
	mtime int64
}

// dirStamp is what a change of a directory's entries changes.
type dirStamp struct {
	path  string
	stamp stamp
}

// protectedIn says whether fi, a regular file, is a regular file in the
// protected directory dir, and where: "" when it is not.
func protectedIn(dir string, fi fs.FileInfo) string {
	id, ok := idOf(fi)
	if !ok {
		return walkFor(dir, fi)
	}
	walks.Lock()
	defer walks.Unlock()
	w := walks.m[dir]
	if w == nil || !w.fresh() {
		if w = newWalk(dir); w == nil {
			return walkFor(dir, fi)
		}
		if walks.m == nil {
			walks.m = map[string]*walk{}
		}
		walks.m[dir] = w
	}
	if _, in := w.files[id]; !in {
		return ""
	}
	// Rare, and a refusal: the name comes from a walk of its own.
	return walkFor(dir, fi)
}

// fresh says whether a walk now would find what w found.
func (w *walk) fresh() bool {
	for _, d := range w.dirs {
		fi, err := lstat(d.path)
		if err != nil {
			return false
		}
		if s, ok := stampOf(fi); !ok || s != d.stamp {
			return false
		}
	}
	return true
}

// newWalk walks dir; nil when the walk cannot be kept (a directory too
// recently changed, or one it could not read).
func newWalk(dir string) *walk {
	start := time.Now().Add(-racyWindow).UnixNano()
	w := &walk{files: map[fileID]struct{}{}}
	keep := true
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			keep = false
			return nil
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			keep = false
			return nil
		}
		if d.IsDir() {
			s, ok := stampOf(info)
			if !ok || s.mtime >= start {
				keep = false
				return filepath.SkipAll
			}
			w.dirs = append(w.dirs, dirStamp{path, s})
			return nil
		}
		if id, ok := idOf(info); ok {
			w.files[id] = struct{}{}
		}
		return nil
	})
	if !keep {
		return nil
	}
	return w
}

// walkFor walks dir for a regular file that is fi, and returns its path;
// "" when none is.
func walkFor(dir string, fi fs.FileInfo) string {
	found := ""
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if info, err := d.Info(); err == nil && os.SameFile(info, fi) {
			found = path
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
