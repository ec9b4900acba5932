// Package keyfile keeps a secret key in a file of its own: random bytes,
// hex-encoded, readable and writable by its owner only. The report signing
// key and the console's session key of a state dir are such files.
package keyfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// Spec names a key file's key for messages: Name like "report key", and
// Lost, what making a new key costs, like "reports signed with it no
// longer verify".
type Spec struct {
	Name string
	Len  int
	Lost string
}

// Read returns the key in path. A missing file is an error that wraps
// fs.ErrNotExist. A file that is a symlink or not a regular file, that
// others may read or write, that another user owns, or that does not hold
// Len hex-encoded bytes is refused, with what to do about it: a key others
// could know signs nothing.
func Read(path string, k Spec) ([]byte, error) {
	f, err := openNoFollow(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w; it must be a regular file, not a symlink", k.Name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", k.Name, path, err)
	}
	switch {
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s %s is not a regular file; remove it and a new key is made (%s)", k.Name, path, k.Lost)
	case fi.Mode().Perm()&0o077 != 0:
		return nil, fmt.Errorf("%s %s has mode %s; others must not read or write it: chmod 600 %s", k.Name, path, fsx.Octal(fi.Mode()), path)
	case !ownedBySelf(fi):
		return nil, fmt.Errorf("%s %s belongs to another user; it must be owned by the user arsenal-run runs as: "+
			"chown %d %s if it is this state dir's key and no one else had it, or remove it and a new key is made (%s)", k.Name, path, os.Geteuid(), path, k.Lost)
	}
	data, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", k.Name, path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != k.Len {
		return nil, fmt.Errorf("%s %s is not %d hex-encoded bytes; remove it and a new key is made (%s)", k.Name, path, k.Len, k.Lost)
	}
	return key, nil
}

// Load returns the key in path, making it when the file is missing: Len
// random bytes are written to a temporary file in the same directory,
// synced and linked into place, so that of several processes starting at
// once on a new directory one key wins and every one of them uses it.
func Load(path string, k Spec) ([]byte, error) {
	key, _, err := LoadMade(path, k)
	return key, err
}

// LoadMade is Load, and tells whether this call made the key: a key
// made where one was before is a rotation, whose cost the caller may
// have to tell.
func LoadMade(path string, k Spec) (key []byte, made bool, err error) {
	key, err = Read(path, k)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key, err = create(path, k)
	if errors.Is(err, fs.ErrExist) {
		key, err = Read(path, k) // another process made it first
		return key, false, err
	}
	return key, err == nil, err
}

// create writes a new key to path, failing with fs.ErrExist when the
// file is there.
func create(path string, k Spec) ([]byte, error) {
	key := make([]byte, k.Len)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("%s: %w", k.Name, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.Name, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.Name, err)
	}
	if err := os.Link(tmp, path); err != nil {
		return nil, fmt.Errorf("%s: %w", k.Name, err)
	}
	return key, nil
}
