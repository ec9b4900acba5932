package report

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// Write stores r at path atomically: it writes a file in the same directory
// that has no name yet (or, where the filesystem cannot, a temporary one),
// syncs it, then names it path (or renames it over path) and syncs the
// directory, so a reader, or a crash at any moment, sees the old report or
// the new one and never a torn file.
func Write(path string, r *Report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	data = append(data, '\n')
	return WriteFileAtomic(path, data, 0o644)
}

// WriteUnsynced stores r at path as Write does, naming the file only once
// it is whole, so that no reader and no killed process ever sees half a
// report, but without waiting for the disk. It is for the state dir's copy
// of a report, which is then exactly as durable as the history database
// that lists it (synchronous=NORMAL): only an operating system crash or a
// power loss can lose the latest of either, and such a report then fails
// to verify rather than being trusted half-written.
func WriteUnsynced(path string, r *Report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	// 0600: a report holds what the run's rights let it read, which other
	// users of the host may not.
	return writeFile(path, append(data, '\n'), 0o600, false)
}

// WriteFileAtomic writes data to path as Write does: synced, and named only
// once it is whole. A new file gets mode less the process's umask, as a
// file the shell creates does, so that a user whose umask is 077 gets a
// report no one else can read; a file it replaces keeps its permission
// bits, those mode allows (a report made private stays private when
// written again).
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	return writeFile(path, data, mode, true)
}

func writeFile(path string, data []byte, mode os.FileMode, sync bool) error {
	dir := filepath.Dir(path)
	// An unsynced file is a run's report, new in the state dir: written
	// unnamed and linked in, which fails and creates nothing when path
	// exists, so that only a file written again pays for the look-up
	// below. A synced one looks first, not to sync a file it drops.
	if !sync {
		if done, err := writeUnnamed(dir, path, data, mode, sync); done {
			return err
		}
	}
	// A replaced file's bits are kept, those mode allows (a state dir's
	// report stays 0600 over an older, wider one); a new file's mode is
	// trimmed by the umask as it is created.
	var keep os.FileMode
	fi, err := os.Lstat(path)
	replacing := err == nil && fi.Mode().IsRegular()
	if replacing {
		keep = fi.Mode().Perm() & mode.Perm()
	} else if sync {
		if done, err := writeUnnamed(dir, path, data, mode, sync); done {
			return err
		}
	}
	f, tmp, err := createTemp(dir, filepath.Base(path), mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if replacing {
		if err := f.Chmod(keep); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("write %s: sync: %w", path, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	if sync {
		syncDir(dir)
	}
	return nil
}

// createTemp creates a new file named after base in dir, with mode less
// the umask (os.CreateTemp would make it 0600, and a chmod would then
// ignore the umask).
func createTemp(dir, base string, mode os.FileMode) (*os.File, string, error) {
	for try := 0; ; try++ {
		var rnd [6]byte
		rand.Read(rnd[:])
		name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(rnd[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode.Perm())
		if err == nil || !errors.Is(err, fs.ErrExist) || try == 100 {
			return f, name, err
		}
	}
}

// writeUnnamed writes data to a new file at path through a file that has
// no name until it is whole (createUnnamed), where the system offers one:
// open, write, link and close, four system calls.
// It answers false, having created nothing, when it cannot: no unnamed
// files on this filesystem, or path exists already (a file written again,
// which the rename of a named temporary file replaces). The file gets
// mode less the umask, as open(2) creates it.
func writeUnnamed(dir, path string, data []byte, mode os.FileMode, sync bool) (bool, error) {
	f, err := createUnnamed(dir, mode)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return true, fmt.Errorf("write %s: %w", path, err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return true, fmt.Errorf("write %s: sync: %w", path, err)
		}
	}
	if err := f.link(path); err != nil {
		return false, nil
	}
	if err := f.Close(); err != nil {
		return true, fmt.Errorf("write %s: %w", path, err)
	}
	if sync {
		syncDir(dir)
	}
	return true, nil
}

// syncDir makes a new name in dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// MaxReadSize is the largest report file Read accepts.
const MaxReadSize = 256 << 20

// Read loads a report written by Write. The path must be a regular file of
// at most MaxReadSize bytes: a FIFO or a device is refused, never waited on
// or read without end.
func Read(path string) (*Report, error) {
	data, err := fsx.ReadFile(path, MaxReadSize)
	if err != nil {
		return nil, err
	}
	r, err := Decode(data)
	if err != nil {
		return nil, InFile(path, err)
	}
	return r, nil
}
