package plugin

// The readers of a manifest's fields that take more than a type check:
// the command, whose program must be one only its owner may change, the
// timeout and the names of the environment variables it is given.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// progCould is what another user who could change a plugin's program
// could do.
const progCould = "run what they like as the user of each run"

func command(v *yaml.Node, dir string, d *yamlx.Diags) []string {
	n := yamlx.Deref(v)
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.Add(yamlx.PosOf(n), "command must be a non-empty list, the program and its arguments, like [./greet.py] (no shell is involved)")
		return nil
	}
	var argv []string
	for _, c := range n.Content {
		s, ok := yamlx.Str(c, "each item of command", d)
		if !ok {
			return nil
		}
		if strings.IndexByte(s, 0) >= 0 || s == "" && len(argv) == 0 {
			d.Add(yamlx.PosOf(c), "command items must be non-empty text without NUL bytes")
			return nil
		}
		argv = append(argv, s)
	}
	prog := argv[0]
	switch {
	case filepath.IsAbs(prog):
	case strings.Contains(prog, "/"):
		prog = filepath.Join(dir, prog)
		if abs, err := filepath.Abs(prog); err == nil {
			prog = abs
		}
	default:
		p, err := exec.LookPath(prog)
		if err != nil {
			d.Add(yamlx.PosOf(n.Content[0]), "program %q is not in PATH; give a path relative to the manifest, like ./%s", prog, prog)
			return nil
		}
		prog = p
	}
	fi, err := os.Stat(prog)
	switch {
	case errors.Is(err, os.ErrNotExist):
		d.Add(yamlx.PosOf(n.Content[0]), "program %s does not exist; correct the path (one with a slash is relative to this manifest's directory), or put the program there", prog)
		return nil
	case err != nil:
		d.Add(yamlx.PosOf(n.Content[0]), "program %s: %v", prog, errors.Unwrap(err))
		return nil
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		d.Add(yamlx.PosOf(n.Content[0]), "program %s is not an executable file; chmod +x it", prog)
		return nil
	case fi.Mode().Perm()&0o002 != 0:
		d.Add(yamlx.PosOf(n.Content[0]), "program %s: its mode %s lets every user of this host rewrite it and %s; make it writable by its owner alone: chmod go-w %s", prog, fsx.Octal(fi.Mode()), progCould, prog)
		return nil
	}
	if msg := fsx.GroupMayWrite(fi, prog, "the program", progCould); msg != "" {
		d.Add(yamlx.PosOf(n.Content[0]), "program %s: %s", prog, msg)
		return nil
	}
	if msg := fsx.Exposed(prog, progCould); msg != "" {
		d.Add(yamlx.PosOf(n.Content[0]), "program %s %s", prog, msg)
		return nil
	}
	if msg := fsx.ForeignOwner(fi, prog, "the program", progCould); msg != "" {
		d.Add(yamlx.PosOf(n.Content[0]), "program %s: %s", prog, msg)
		return nil
	}
	argv[0] = prog
	// [python3, greet.py], [sh, -e, hi.sh], [env, bash, x.sh]: the script
	// is the code the operation runs, judged as the program is.
	if err := policy.SwappableCommand("command", argv, dir); err != nil {
		d.Add(yamlx.PosOf(n), "%v", err)
		return nil
	}
	return argv
}

func duration(v *yaml.Node, d *yamlx.Diags) time.Duration {
	if n := yamlx.Deref(v); n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		d.Add(yamlx.PosOf(n), "timeout: %s has no unit; write it with one, like %ss or %sm", n.Value, n.Value, n.Value)
		return DefaultTimeout
	}
	s, ok := yamlx.Str(v, "timeout", d)
	if !ok {
		return DefaultTimeout
	}
	t, err := time.ParseDuration(s)
	switch {
	case err != nil && steps.InHours(s) != "":
		d.Add(yamlx.PosOf(v), "timeout: %q is not a duration here, where days and weeks are no unit; write %s", s, steps.InHours(s))
	case err != nil:
		d.Add(yamlx.PosOf(v), "timeout: %q is not a duration; write it like 30s or 5m", s)
	case t <= 0:
		d.Add(yamlx.PosOf(v), "timeout must be positive, not %s", s)
	case t > steps.MaxDuration:
		d.Add(yamlx.PosOf(v), "timeout of %s is longer than the limit of %s", s, short.Duration(steps.MaxDuration))
	default:
		return t
	}
	return DefaultTimeout
}

func envNames(v *yaml.Node, d *yamlx.Diags) []string {
	n := yamlx.Deref(v)
	if n.Kind != yaml.SequenceNode {
		d.Add(yamlx.PosOf(n), "env must be a list of variable names, like [LANG, HTTPS_PROXY]")
		return nil
	}
	var out []string
	for _, c := range n.Content {
		if s, ok := yamlx.Str(c, "each env name", d); ok {
			if !shellword.IsName(s) {
				d.Add(yamlx.PosOf(c), "env: %q is not a variable name (letters, digits and _)", yamlx.Truncate(s, 40))
				continue
			}
			out = append(out, s)
		}
	}
	return out
}
