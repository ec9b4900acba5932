package scheduler

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"sync"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Nothing rereads a scheduled playbook's file between reloads: an edit,
// or a removal, takes effect on SIGHUP only. A run that starts from a
// file changed since it was loaded runs the text read then, which the
// person who just edited the file does not expect; its "run started"
// line is followed by a warning saying so and what to do.

// fileDrift is how a playbook's file on disk differs from the text it
// was loaded from.
type fileDrift int

const (
	driftNone fileDrift = iota
	driftChanged
	driftRemoved
	driftUnreadable
)

// diskCheck compares scheduled playbooks' files with the text they were
// loaded from. The file is hashed again only when its size, modification
// time or identity changed since it was last hashed, so a check is a
// stat. It is safe for concurrent use.
type diskCheck struct {
	mu   sync.Mutex
	seen map[string]hashed // by the playbook's absolute path
}

// hashed is what was found when a file was last hashed.
type hashed struct {
	loaded string      // the loaded playbook's SHA256 the verdict is against
	info   os.FileInfo // the file hashed
	drift  fileDrift
}

// check tells how pb's file differs from what pb was loaded from, with
// the error that kept it from being read. A playbook built in memory,
// without a file or a hash of one, never differs.
func (d *diskCheck) check(pb *steps.Playbook) (fileDrift, error) {
	if pb == nil || pb.AbsFile == "" || pb.SHA256 == "" {
		return driftNone, nil
	}
	path := pb.AbsFile
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return driftRemoved, nil
	case err != nil:
		return driftUnreadable, err
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
			return driftRemoved, nil
		}
		return driftUnreadable, err
	}
	h = hashed{loaded: pb.SHA256, info: info}
	if sum != pb.SHA256 {
		h.drift = driftChanged
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

// hashFile returns the SHA-256 of path's bytes, as steps.Load sums them,
// and what the file was when it was opened.
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
	if _, err := io.Copy(h, io.LimitReader(f, steps.MaxFileSize+1)); err != nil {
		return "", nil, err
	}
	return hex.EncodeToString(h.Sum(nil)), info, nil
}

// logDrift warns, after a run's "run started" line, that the run is of
// the playbook as loaded while its file on disk changed or is gone, and
// what to do: SIGHUP this process.
func logDrift(log *zerolog.Logger, pb *steps.Playbook, runID, slot string, drift fileDrift, err error) {
	hup := "kill -HUP " + strconv.Itoa(os.Getpid())
	var msg string
	switch drift {
	case driftChanged:
		msg = "the playbook's file changed since it was loaded, and this run runs it as loaded: an edit takes effect on SIGHUP only; " +
			"check the file with `arsenal-run validate " + pb.File + "`, then load it with `" + hup + "`"
	case driftRemoved:
		msg = "the playbook's file was removed since it was loaded, and this run runs it as loaded: it stays scheduled until SIGHUP; " +
			"put the file back, or stop scheduling it with `" + hup + "` (a file named on the command line, not through its directory, needs a restart without it)"
	case driftUnreadable:
		msg = "the playbook's file cannot be read to tell whether it changed since it was loaded; this run runs it as loaded"
	default:
		return
	}
	ev := log.Warn()
	if err != nil {
		ev = ev.Err(err)
	}
	ev.Str("file", pb.File).Str("playbook", pb.Name).Str("run_id", runID).Str("slot", slot).Msg(msg)
}
