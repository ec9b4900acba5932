package steps

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// maxFileParam bounds what is read of a file a parameter names: past it
// the operation's own check reports the size.
const maxFileParam = 8 << 20

// checkFileParams reads the files that the literal parameters of an
// operation implementing ops.FileParamChecker name, when they are in the
// playbook's directory tree (relative paths are taken from there, as the
// run takes them), and reports their problems at the parameter. A file
// that does not exist is a warning only: a step before may make it. A
// path an expression computes, or one outside the tree, is the run's to
// read, with the rights of its roles.
func (l *loader) checkFileParams(s *Step, pairs []yamlx.Pair) {
	var fc ops.FileParamChecker
	if s.Entry == nil || !s.Entry.As(&fc) {
		return
	}
	for _, name := range fc.FileParams() {
		for _, p := range pairs {
			if p.Key != name {
				continue
			}
			n := yamlx.Deref(p.V)
			if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || n.Value == "" || strings.Contains(n.Value, "${{") {
				continue
			}
			l.checkFileParam(s, fc, name, n)
		}
	}
}

func (l *loader) checkFileParam(s *Step, fc ops.FileParamChecker, name string, n *yaml.Node) {
	rel, ok := l.localSub(n.Value)
	if !ok || l.pb.Dir == "" {
		return
	}
	if abs, err := filepath.Abs(filepath.Join(l.pb.Dir, rel)); err == nil {
		if fsroot.GuardRead(abs) != nil {
			return // a protected file: the run says why it refuses it
		}
	}
	root, err := os.OpenRoot(l.pb.Dir)
	if err != nil {
		return
	}
	defer root.Close()
	h, err := fsx.OpenIn(root, rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		l.d.Warn(yamlx.PosOf(n), "%s: %s %s does not exist; the path is relative to this playbook's directory, so the step fails unless a step before it makes the file", s.Op, name, n.Value)
		return
	case err != nil:
		return // not a regular file, or a symlink out of the tree: the run judges it
	}
	defer h.Close()
	data, err := io.ReadAll(io.LimitReader(h, maxFileParam+1))
	if err != nil {
		return
	}
	display := filepath.Join(filepath.Dir(l.pb.File), rel)
	if err := fc.CheckFileParam(name, display, data); err != nil {
		l.d.Add(yamlx.PosOf(n), "%s: %s %s has problems, which the step would fail on: %v", s.Op, name, n.Value, err)
	}
}
