package steps

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// LeftOut is a file of a playbooks directory that is not read as a
// playbook, and why.
type LeftOut struct {
	File string
	Why  string
}

// DirPlaybooks lists the playbooks of dir as validate, schedule and serve
// read a directory: its *.yaml and *.yml files, sorted, without
// descending into sub-directories. Left out, each with why, are:
//   - hidden files, as a shell's * leaves them out: an editor's lock
//     (Emacs's .#deploy.yaml, a link to nowhere while the file is open)
//     and tools' settings (.gitlab-ci.yml, .pre-commit-config.yaml);
//   - a sub-directory named like a playbook;
//   - arsenal-run's other files kept beside the playbooks: an inventory,
//     a policy or a keys file (told by its top-level keys: all of them
//     that kind's), and a file this process protects, such as the
//     --policy or --keys file it was given.
//
// A file that cannot be read or parsed is listed: loading it reports the
// problem at its position.
func DirPlaybooks(dir string) (files []string, left []LeftOut, err error) {
	return DirPlaybooksMax(dir, 0)
}

// TooManyError is DirPlaybooksMax finding more playbooks than its bound.
type TooManyError struct {
	Dir string
	Max int
}

func (e *TooManyError) Error() string {
	return fmt.Sprintf("more than %d playbooks; keep at most %d in one directory (split them between directories)", e.Max, e.Max)
}

// DirPlaybooksMax is DirPlaybooks bounded: once more than max playbooks are
// found it stops, without reading the rest, and returns a *TooManyError; a
// directory of a hundred thousand files is refused after max+1 of them,
// not read whole first. max <= 0: no bound.
func DirPlaybooksMax(dir string, max int) (files []string, left []LeftOut, err error) {
	// The names are read, not globbed: a directory named with a glob's
	// characters (playbooks[prod]) would match none of its own files, or
	// be a bad pattern.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, unlistable(err)
	}
	var all []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") {
			all = append(all, filepath.Join(dir, n))
		}
	}
	sort.Strings(all)
	for _, f := range all {
		if why := hiddenOrDir(f); why != "" {
			left = append(left, LeftOut{File: f, Why: why})
			continue
		}
		if why := notPlaybook(f); why != "" {
			left = append(left, LeftOut{File: f, Why: why})
			continue
		}
		files = append(files, f)
		if max > 0 && len(files) > max {
			return nil, nil, &TooManyError{Dir: dir, Max: max}
		}
	}
	return files, left, nil
}

// hiddenOrDir tells why f is left out by its name or kind, or "".
func hiddenOrDir(f string) string {
	if strings.HasPrefix(filepath.Base(f), ".") {
		return "a hidden file (its name starts with a dot), such as an editor's lock or a tool's settings; not read"
	}
	if st, err := os.Stat(f); err == nil && st.IsDir() {
		return "a directory; the playbooks of sub-directories are not read"
	}
	return ""
}

// notPlaybook tells why the file f of a playbooks directory is not one of
// its playbooks, or "" when it is to be loaded as one.
func notPlaybook(f string) string {
	r, err := fsroot.Open(f)
	var pe *fsroot.ProtectedError
	if errors.As(err, &pe) {
		return "arsenal-run's " + pe.What + ", given by a flag; not a playbook"
	}
	if err != nil {
		return ""
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return ""
	}
	root := yamlx.Parse(data, limits, &yamlx.Diags{File: f})
	if root == nil {
		return ""
	}
	return otherKind(root)
}

// unlistable is the error of a directory of playbooks that cannot be
// listed; one this user may not read says what to change.
func unlistable(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w; the user running arsenal-run (uid %d) may not list it: make it readable and searchable by that user (chmod u+rx, chown), or run as one that may", err, os.Geteuid())
	}
	return err
}
