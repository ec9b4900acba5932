package steps

import (
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// Swappable is the advice for a playbook that serve or schedule runs, on
// every start and reload, with roles that are not its author's (a caller
// key's, --schedule-role, --roles), when a user of the host other than its
// owner and root could change it or put a file of their own in its place
// (fsx.PathAnyoneMayWrite); "" when none could. run does not ask: a user
// runs their own files with their own rights.
func Swappable(path string) string {
	return fsx.PathAnyoneMayWrite(path, "the playbook", "make it run any operation with the roles its callers or its schedule give it")
}

// SwappableDir is Swappable for a directory whose playbooks serve or
// schedule runs: one every user may write lets any of them add a playbook
// there, sticky bit or not (it keeps others' files, not new ones, out).
func SwappableDir(dir string) string {
	return fsx.PathAnyoneMayWrite(dir, "the playbooks directory", "add a playbook, run with the roles its callers or its schedule give it")
}

// SwappableSub is Swappable for a sub-playbook that a playbook of serve or
// schedule runs with playbook.run: it runs with the same roles.
func SwappableSub(path string) string {
	return fsx.PathAnyoneMayWrite(path, "the sub-playbook", "make it run any operation with the roles of the runs that call it")
}

// SwappableEnvFile is Swappable for an env_file of a playbook that serve
// or schedule runs: its variables are the environment of every program
// the run starts (LD_PRELOAD, PATH) and the values of inputs with env:.
func SwappableEnvFile(path string) string {
	return fsx.PathAnyoneMayWrite(path, "the env file", "set the variables of the runs that read it (LD_PRELOAD, PATH, their inputs' env:) and so run programs of their own with them")
}

// SwappableInputFile is Swappable for an input's from_file that a run of
// serve or schedule reads: the value is whatever its writer puts there.
func SwappableInputFile(path string) string {
	return fsx.PathAnyoneMayWrite(path, "the input file", inputFileCould)
}

const inputFileCould = "set the input's value in the runs that read it"

// SwappableOpenInputFile is SwappableInputFile for the input file at path
// opened as f: its mode is the opened file's (fsx.AnyoneMayWrite), so that
// what is judged is what is read.
func SwappableOpenInputFile(f *os.File, path string) string {
	return fsx.AnyoneMayWrite(f, path, "the input file", inputFileCould)
}

// WithSwapCheck makes every env_file, input from_file and literal
// playbook.run path of the playbook loaded, and of the sub-playbooks read
// for it, a problem when another user could swap it (SwappableEnvFile,
// SwappableInputFile, SwappableSub): serve and schedule load so, at start
// and on every reload, the playbooks they run with roles not their
// authors'. A run of theirs judges the files again as it reads them
// (engine.RefuseSwappable).
func WithSwapCheck() LoadOption {
	return func(s *subLoads) { s.swaps = true }
}

// SwappableEnvFiles is the error for the first env_file of pb that
// another user could swap (SwappableEnvFile), at its file:line:column;
// nil when none could. A path that cannot be judged is left to the read,
// which says what is wrong.
func SwappableEnvFiles(pb *Playbook) error {
	for _, f := range pb.EnvFiles {
		rel, err := envFileRel(f.Path)
		if err != nil {
			continue
		}
		if msg := SwappableEnvFile(filepath.Join(pb.Dir, rel)); msg != "" {
			return fmt.Errorf("%s:%d:%d: env_file %s: %s", pb.File, f.Pos.Line, f.Pos.Col, f.Path, msg)
		}
	}
	return nil
}

// inputFilePath is an input's from_file as a run reads it: relative to
// the playbook's directory dir unless absolute.
func inputFilePath(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// swappableSub reports, under WithSwapCheck, the sub-playbook at abs,
// written in n, that another user could swap (SwappableSub), and says
// whether it did.
func (l *loader) swappableSub(n *yaml.Node, abs string) bool {
	if !l.sub.swaps {
		return false
	}
	msg := SwappableSub(abs)
	if msg != "" {
		l.d.Add(yamlx.PosOf(n), "%s: %s: %s", SubPlaybookOp, n.Value, msg)
	}
	return msg != ""
}
