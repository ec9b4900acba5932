package steps

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// unreadable says why the playbook at path did not open, without the path
// the diagnostic already names, and what to check.
func unreadable(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err
	}
	msg := fmt.Sprintf("cannot read the playbook: %v", err)
	if rest, ok := strings.CutPrefix(err.Error(), path+" "); ok {
		msg = "cannot read the playbook: it " + rest
	}
	// The file may well be there: another one beside it is no guess.
	if errors.Is(err, fs.ErrPermission) {
		return msg + fmt.Sprintf("; the user running arsenal-run (uid %d) may not read it: make it, and the directories above it, readable by that user (chmod, chown), or run as one that may", os.Geteuid())
	}
	if st, serr := os.Stat(path); serr == nil && st.IsDir() {
		return msg + dirHint(path)
	}
	if hint := nearbyPlaybooks(path); hint != "" {
		return msg + hint
	}
	if hint := fsx.TildeHint(path, err); hint != "" {
		return msg + hint
	}
	if errors.Is(err, fs.ErrNotExist) {
		wd, _ := os.Getwd()
		if filepath.IsAbs(path) || wd == "" {
			return msg + "; check the path"
		}
		return msg + fmt.Sprintf("; check the path, which is taken from the working directory %s", wd)
	}
	return msg
}

// nearbyPlaybooks says which playbook a path that does not open likely
// meant: the .yaml or .yml file of the same name, one a letter or two away
// in the same folder, or, for a folder, the playbooks in it.
func nearbyPlaybooks(path string) string {
	if path == "-" {
		return "; a playbook is read from a file, not from standard input: save it as a .yaml file first (its relative paths, env_file and sub-playbooks are taken from its directory)"
	}
	if hint := nearbyPlaybook(path); hint != "" {
		return hint
	}
	if dir, base := filepath.Split(path); dir == "" && base != "" {
		return playbookInSubdir(base)
	}
	return ""
}

// playbookInSubdir finds name given bare, as a playbook's name may be
// (run deploy), as name.yaml or name.yml in a directory of the working
// directory, like playbooks/deploy.yaml.
func playbookInSubdir(name string) string {
	entries, err := os.ReadDir(".")
	if err != nil {
		return ""
	}
	for i, e := range entries {
		if i == 200 {
			break
		}
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		for _, ext := range []string{"", ".yaml", ".yml"} {
			p := filepath.Join(e.Name(), name+ext)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && (ext != "" || strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
				return suggest.Hint(p)
			}
		}
	}
	return ""
}

func nearbyPlaybook(path string) string { return NearbyPlaybook("", path) }

// NearbyPlaybook is "; did you mean …" with a playbook beside path, a
// path relative to the directory root ("" for the working directory), as
// written: the same name with .yaml or .yml, or the closest name; "" when
// there is none.
func NearbyPlaybook(root, path string) string {
	if filepath.IsAbs(path) {
		root = ""
	}
	dir, base := filepath.Split(path)
	if st, err := os.Stat(filepath.Join(root, path)); err == nil && st.IsDir() {
		dir, base = path, ""
	}
	entries, err := os.ReadDir(cmp.Or(filepath.Join(root, dir), ".")) // os.ReadDir("") fails
	if err != nil {
		return ""
	}
	var yamls []string
	for _, e := range entries {
		// The file itself (a dangling link, a FIFO) is no suggestion, nor
		// a hidden file, an editor's lock among them, as a directory of
		// playbooks leaves them out.
		if n := e.Name(); !e.IsDir() && n != base && !strings.HasPrefix(n, ".") && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			yamls = append(yamls, n)
		}
	}
	if len(yamls) == 0 {
		return ""
	}
	if base == "" {
		var paths []string
		for _, n := range yamls[:min(len(yamls), 5)] {
			paths = append(paths, filepath.Join(dir, n))
		}
		if len(yamls) > 5 {
			paths = append(paths, "…")
		}
		return "; give one of its playbooks: " + strings.Join(paths, ", ")
	}
	for _, ext := range []string{".yaml", ".yml"} {
		if slices.Contains(yamls, base+ext) {
			return suggest.Hint(filepath.Join(dir, base+ext))
		}
	}
	if name, ok := suggest.Closest(base, yamls); ok {
		return suggest.Hint(filepath.Join(dir, name))
	}
	return ""
}

// dirHint says what to give instead of the directory at path: one of its
// playbooks, named when they are few, or validate, which reads a whole
// directory; for a directory without playbooks, a subdirectory with some.
func dirHint(path string) string {
	yamls := playbooksIn(path)
	// In backquotes: a path with a space or a quote is quoted for a
	// shell, and must reach it whole when pasted.
	check := fmt.Sprintf("`arsenal-run validate %s` checks them all", shellword.Word(path))
	switch {
	case len(yamls) == 0:
		if sub, first := subdirWithPlaybooks(path); sub != "" {
			return fmt.Sprintf("; it holds no playbooks (*.yaml, *.yml) of its own, but %s does: give one of them, like %s, or `arsenal-run validate %s` checks them all", sub, first, shellword.Word(sub))
		}
		return "; it holds no playbooks (*.yaml, *.yml): give the path of a playbook .yaml file"
	case len(yamls) <= 5:
		return fmt.Sprintf("; give one of its playbooks: %s (%s)", strings.Join(yamls, ", "), check)
	default:
		return fmt.Sprintf("; it holds %d playbooks, like %s: give one of them (%s)", len(yamls), strings.Join(yamls[:3], ", "), check)
	}
}

// playbooksIn lists the paths of the playbooks in dir, as validate reads
// them: *.yaml and *.yml files, hidden ones left out, subdirectories not
// read.
func playbooksIn(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var paths []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && !strings.HasPrefix(n, ".") && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	return paths
}

// subdirWithPlaybooks is the first of dir's subdirectories (of the first
// 200 entries) that holds playbooks, and its first playbook.
func subdirWithPlaybooks(dir string) (sub, first string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", ""
	}
	for _, e := range entries[:min(len(entries), 200)] {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if yamls := playbooksIn(filepath.Join(dir, e.Name())); len(yamls) > 0 {
			return filepath.Join(dir, e.Name()), yamls[0]
		}
	}
	return "", ""
}
