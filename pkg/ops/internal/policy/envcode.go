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
	return swappableEnv(env, dir, func(string) string { return param })
}

// SwappableFileEnv is SwappableEnv for the variables the run's env files
// give the program (ops.Call.FileEnv) whose names keep accepts: those
// its step's env does not set (NotSetIn), or that a plugin is passed. The
// error names the file and line that set the variable (ops.Call.FileEnvAt).
func SwappableFileEnv(ctx context.Context, keep func(name string) bool, dir string) error {
	c := ops.CallFrom(ctx)
	if !c.RefuseSwappable || len(c.FileEnv) == 0 {
		return nil
	}
	var env []string
	for _, kv := range c.FileEnv {
		if name, _, _ := strings.Cut(kv, "="); keep(name) {
			env = append(env, kv)
		}
	}
	return swappableEnv(env, dir, func(name string) string {
		if c.FileEnvAt == nil {
			return "env_file"
		}
		return "env_file " + c.FileEnvAt(name)
	})
}

// NotSetIn returns whether env (KEY=value entries) does not set name: a
// keep of SwappableFileEnv for a program started with env added to the
// run's environment, whose entries win.
func NotSetIn(env []string) func(name string) bool {
	return func(name string) bool {
		for _, kv := range env {
			if k, _, _ := strings.Cut(kv, "="); k == name {
				return false
			}
		}
		return true
	}
}

// swappableEnv is SwappableEnv's check of env for a program in dir;
// param names where a variable was set.
func swappableEnv(env []string, dir string, param func(name string) string) error {
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
					return ops.WithClass(ops.ClassValidation, fmt.Errorf("%s %s: %s", param(name), name, msg))
				}
			}
		}
	}
	return nil
}
