//go:build !linux

package report

import (
	"errors"
	"os"
)

// createUnnamed has no unnamed files to offer here: writeFile uses a named
// temporary file and a rename.
func createUnnamed(string, os.FileMode) (*os.File, error) { return nil, errors.ErrUnsupported }

func linkUnnamed(*os.File, string) error { return errors.ErrUnsupported }
