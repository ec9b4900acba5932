package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
)

// Nothing rereads a loaded playbook's file: a long-running process
// (schedule, serve) runs the text it read at start or on its last
// reload. DiskCheck tells a run that starts from a file changed since
// whether it does, so that it can say so.

// Drift is how a playbook's file on disk differs from the text it was
// loaded from.
type Drift int

// The drifts.
const (
	DriftNone Drift = iota
	DriftChanged
	DriftRemoved
	DriftUnreadable
)

// FileVerdict is what one DiskCheck.Check found: a caller that checked
// a playbook's file just before handing its run on hands the verdict on
// with it, so that the file is not looked at twice for one run.
type FileVerdict struct {
	Drift Drift
	Err   error // what kept the file from being read, with DriftUnreadable
}

// DiskCheck compares playbooks' files with the text they were loaded
// from. The file is hashed again only when its size, modification time
// or identity changed since it was last hashed, so a check is a stat.
// The zero value is ready; it is safe for concurrent use.
type DiskCheck struct {
	mu   sync.Mutex
	seen map[string]hashed // by the playbook's absolute path
}

// hashed is what was found when a file was last hashed.
type hashed struct {
	loaded string      // the loaded playbook's SHA256 the verdict is against
	info   os.FileInfo // the file hashed
	drift  Drift
}

// Check tells how pb's file differs from what pb was loaded from, with
// the error that kept it from being read. A playbook built in memory,
// without a file or a hash of one, never differs.
func (d *DiskCheck) Check(pb *Playbook) (Drift, error) {
	if pb == nil || pb.AbsFile == "" || pb.SHA256 == "" {
		return DriftNone, nil
	}
	path := pb.AbsFile
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return DriftRemoved, nil
	case err != nil:
		return DriftUnreadable, err
	}
	d.mu.Lock()
	h, ok := d.seen[path]
	d.mu.Unlock()
	if ok && h.loaded == pb.SHA256 && sameFile(h.info, info) {
		return h.drift, nil
	}
	sum, info, err := hashFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return DriftRemoved, nil
		}
		return DriftUnreadable, err
	}
	h = hashed{loaded: pb.SHA256, info: info}
	if sum != pb.SHA256 {
		h.drift = DriftChanged
	}
	d.mu.Lock()
	if d.seen == nil {
		d.seen = map[string]hashed{}
	}
	d.seen[path] = h
	d.mu.Unlock()
	return h.drift, nil
}

// sameFile tells whether b is a, unchanged: the same file, of the same
// size and modification time.
func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// hashFile returns the SHA-256 of path's bytes, as Load sums them, and
// what the file was when it was opened.
func hashFile(path string) (string, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, MaxFileSize+1)); err != nil {
		return "", nil, err
	}
	return hex.EncodeToString(h.Sum(nil)), info, nil
}
