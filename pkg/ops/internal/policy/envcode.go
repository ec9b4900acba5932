package policy

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// codeVars are the variables of a program's environment that name the
// code it runs besides its own: the directories a program or a shell
// finds programs in, the libraries the dynamic loader loads into every
// program, and the file a shell runs before its script. seps split a
// value into paths ("" for one path), as the shell and the dynamic loader
// split it (ld.so(8)); an empty path between them is the working
// directory when here, as "." is (a colon doubled, leading or trailing).
var codeVars = []struct {
	name, seps, what string
	here             bool
}{
	{"PATH", ":", "a directory of PATH", true},
	{"LD_PRELOAD", ": ", "a library LD_PRELOAD loads", false},
	{"LD_AUDIT", ":", "a library LD_AUDIT loads", false},
	{"LD_LIBRARY_PATH", ":;", "a directory of LD_LIBRARY_PATH", true},
	{"BASH_ENV", "", "the file BASH_ENV names", false},
	{"ENV", "", "the file ENV names", false},
}

// SwappableEnv is SwappableProgram's error for the variables env (NAME=value
// entries, the step's) gives the program it starts in dir, when the call
// refuses swappable files: a PATH directory, a library LD_PRELOAD loads
// or the file BASH_ENV names that another user of the host could change,
// or put a file of their own in, would choose the code the program runs
// as surely as a program named by such a path. A path holding $ is not
// judged (a shell expands BASH_ENV's and ENV's, the loader $ORIGIN and
// $LIB), but the other paths of its list are: nothing expands
// "$PATH:/opt/tools" written as a step's PATH, and /opt/tools is one of
// the program's. A relative path is taken from dir.
func SwappableEnv(ctx context.Context, param string, env []string, dir string) error {
	if !ops.CallFrom(ctx).RefuseSwappable {
		return nil
	}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		for _, v := range codeVars {
			if v.name != name {
				continue
			}
			paths := []string{value}
			if v.seps != "" {
				sep := func(r rune) bool { return strings.ContainsRune(v.seps, r) }
				paths = strings.FieldsFunc(value, sep)
				entries := 1
				for _, r := range value {
					if sep(r) {
						entries++
					}
				}
				if v.here && value != "" && len(paths) < entries {
					paths = append(paths, ".") // an empty entry
				}
			}
			for _, p := range paths {
				if p == "" || strings.Contains(p, "$") {
					continue
				}
				if !filepath.IsAbs(p) && dir != "" {
					p = filepath.Join(dir, p)
				}
				if msg := fsx.PathAnyoneMayWrite(p, v.what, programCould); msg != "" {
					return ops.WithClass(ops.ClassValidation, fmt.Errorf("%s %s: %s", param, name, msg))
				}
			}
		}
	}
	return nil
}
