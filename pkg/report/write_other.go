//go:build !linux

package report

import (
	"errors"
	"os"
)

// unnamedFile has no unnamed files to offer here: writeFile uses a named
// temporary file and a rename.
type unnamedFile struct{}

func createUnnamed(string, os.FileMode) (*unnamedFile, error) { return nil, errors.ErrUnsupported }

func (*unnamedFile) Write([]byte) (int, error) { return 0, errors.ErrUnsupported }
func (*unnamedFile) Sync() error               { return errors.ErrUnsupported }
func (*unnamedFile) Close() error              { return nil }
func (*unnamedFile) link(string) error         { return errors.ErrUnsupported }
