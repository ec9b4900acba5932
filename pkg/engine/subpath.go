package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// fileRooted is what an authorization scope implements to limit file
// access; nil roots mean the defaults.
type fileRooted interface{ FileRoots() []string }

// SubPlaybookRoots returns where playbook.run may read a sub-playbook
// from: the caller's file roots (the working directory and the temp
// directory when its scope sets none) and the calling playbook's directory
// tree, dir. The preflight check and the run use the same rule.
func SubPlaybookRoots(scope any, dir string) []string {
	var roots []string
	if fr, ok := scope.(fileRooted); ok {
		roots = fr.FileRoots()
	}
	if roots == nil {
		roots = fsroot.Defaults()
	}
	roots = append([]string(nil), roots...)
	// The playbook's directory is often a root already (the working
	// directory, a file root): listed twice, a denial would name it twice.
	if dir != "" && !slices.ContainsFunc(roots, func(r string) bool { return filepath.Clean(r) == filepath.Clean(dir) }) {
		roots = append(roots, dir)
	}
	return roots
}

// LoadSubPlaybook reads and validates the sub-playbook at path (absolute,
// or relative to the working directory) if it lies inside roots, through
// os.Root so that symlinks cannot lead outside them. A path outside the
// roots is an error wrapping ops.ErrDenied; a file that is not a regular
// file or is too large is refused before it is read. Nothing it reports
// about a file outside the roots holds any of the file's content.
func LoadSubPlaybook(path string, roots []string, reg *ops.Registry, opts ...steps.LoadOption) (*steps.Playbook, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	// The playbooks dir of serve and schedule is no file operation's,
	// but the sub-playbooks of the playbooks there are loaded as they are.
	data, err := fsroot.ReadPlaybook(abs, roots, steps.MaxFileSize)
	if err != nil {
		if errors.Is(err, ops.ErrDenied) {
			return nil, fmt.Errorf("%w; put the sub-playbook beside the calling playbook, or in one of the caller's file_roots", err)
		}
		return nil, fmt.Errorf("cannot read the sub-playbook: %w", err)
	}
	return steps.Parse(path, data, reg, opts...)
}

// subLoadClass is the class of a sub-playbook that could not be loaded:
// authorization when it lies outside the caller's roots, else validation.
func subLoadClass(err error) ops.Class {
	if errors.Is(err, ops.ErrDenied) {
		return ops.ClassAuthorization
	}
	return ops.ClassValidation
}
