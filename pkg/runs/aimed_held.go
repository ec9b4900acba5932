package runs

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// heldSecrets names, for messages, the secrets of hs (auth.Aim.Held) a
// run in env holds: a variable of env an expression reads that has a
// value and is not plainEnv (any of them for one that reads env whole,
// or by a name its text does not fix), the secret outputs
// of an operation, and a sub-playbook's secret input that its default,
// its from_file or a variable of env fills. file is the playbook's, as
// named.
func heldSecrets(hs []auth.Held, env Env, file string) []string {
	var out []string
	for _, h := range hs {
		at := fmt.Sprintf("%s:%d:%d", aimFile(file, h.File), h.Line, h.Col)
		switch h.Kind {
		case "env":
			if h.Name == "" && holdsSecretEnv(env) {
				out = append(out, "the whole environment (env, read at "+at+")")
			} else if h.Name != "" && !plainEnv(h.Name) && lookupSet(env, h.Name) {
				out = append(out, "the value of env."+h.Name+" (read at "+at+")")
			}
		case "output":
			out = append(out, "the secret outputs of step "+h.Name+" ("+h.Op+", "+at+")")
		case "unread":
			out = append(out, "whatever secrets the sub-playbook of step "+h.Name+" holds ("+h.Op+", "+at+")")
		case "input":
			if h.Filled || h.Env != "" && lookupSet(env, h.Env) {
				out = append(out, "secret input "+h.Name+" of "+aimFile(file, h.File)+" ("+at+")")
			}
		}
	}
	return out
}

// aimFile names the file rel of auth.Aim, named from the directory of the
// playbook file: file itself when rel is "".
func aimFile(file, rel string) string {
	switch {
	case rel == "":
		return file
	case filepath.IsAbs(rel):
		return rel
	}
	return filepath.Join(filepath.Dir(file), rel)
}

// andList joins items as a sentence does: "a", "a and b", "a, b and c".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// plainEnv says whether the environment variable name is one that tells
// the locale, the time zone, the terminal, or where programs and files
// are, and so holds no secret: LANG, LANGUAGE, every LC_ variable, TZ,
// TERM, PATH, HOME, USER, LOGNAME, SHELL and TMPDIR, spelt so. A run that
// reads only those holds nothing an API caller may not see.
func plainEnv(name string) bool {
	switch name {
	case "LANG", "LANGUAGE", "TZ", "TERM", "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR":
		return true
	}
	return strings.HasPrefix(name, "LC_")
}

// holdsSecretEnv says whether env has a variable with a value that is
// not plainEnv.
func holdsSecretEnv(env Env) bool {
	if env == nil {
		return false
	}
	for _, kv := range env.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && v != "" && !plainEnv(k) {
			return true
		}
	}
	return false
}
