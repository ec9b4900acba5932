package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// outsideRootsHint ends the denial of a file read only inside the
// caller's file roots: what (from_file or env_file) of a sub-playbook
// found through them.
func outsideRootsHint(what string) string {
	fix := "pass the value in the playbook.run step's inputs"
	subject := "its inputs' from_file is"
	if what == "env_file" {
		fix = "move the env file inside those roots"
		subject = "its env_file is"
	}
	return "; this sub-playbook lies outside the directory tree of the playbook that runs it, " +
		"so " + subject + " read only inside the caller's file roots, as a file operation would be: " +
		"put the sub-playbook beside the calling playbook, or " + fix
}

// subInputRoots returns where the inputs' from_file and the env_file
// files of the sub-playbook at path may be read from, as
// runOptions.inputRoots: the runner reads them with its own rights,
// which is the playbook author's choice
// for a sub-playbook in the calling playbook's directory tree (dir, that
// of a run whose own from_file was not confined, parent nil). A
// sub-playbook found only through the caller's file roots may be one the
// caller wrote there, so its files are read inside those roots, as a
// file operation of the caller's would be; and so are those of every
// sub-playbook it runs in turn.
func subInputRoots(parent []string, scope any, dir, path string) []string {
	if parent != nil {
		return parent
	}
	if dir != "" && inTree(fsroot.Resolved(absPath(path)), fsroot.Resolved(absPath(dir))) {
		return nil
	}
	var roots []string
	if fr, ok := scope.(fileRooted); ok {
		roots = fr.FileRoots()
	}
	if roots == nil {
		roots = fsroot.Defaults()
	}
	return append([]string{}, roots...)
}

// inTree reports whether path is dir or lies under it.
func inTree(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// readInputFileIn is readInputFile for a from_file that may be read only
// inside roots, through os.Root as the file operations read.
func readInputFileIn(path string, roots []string) (string, bool, error) {
	data, err := fsroot.ReadFile(absPath(path), roots, steps.MaxValueSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", false, nil
	case errors.Is(err, ops.ErrDenied):
		return "", false, err
	case err != nil:
		return "", false, fmt.Errorf("cannot read it: %w", err)
	}
	s := strings.TrimSuffix(string(data), "\n")
	return strings.TrimSuffix(s, "\r"), true, nil
}
