package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/capture"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Bounds of the process-control options.
const (
	MinOutputLimit = 1 << 10
	MaxOutputLimit = 64 << 20
	MaxKillGrace   = 10 * time.Minute
)

// optionParams are the parameters that choose the shell, how the process is
// stopped, how much output is kept and where it is also written.
func optionParams() []ops.Param {
	return []ops.Param{
		{Name: "shell", Type: ops.TypeAny,
			Description: "what runs script: sh (default; sh -e, stops at the first failing command), bash (bash -eo pipefail, with bash syntax such as {1..3} and arrays), " +
				"or an argv prefix the script is appended to, like [zsh, -c] or [python3, -c]"},
		{Name: "kill_signal", Type: ops.TypeString, Default: "TERM", Enum: killSignalNames,
			Description: "the signal sent to the process group on timeout or cancel; SIGKILL follows after kill_grace"},
		{Name: "kill_grace", Type: ops.TypeDuration, Min: ops.Bound(0), Max: ops.Bound(MaxKillGrace.Seconds()),
			Description: "how long the process group has after kill_signal before SIGKILL (default 2s; 0s kills at once)"},
		{Name: "max_output", Type: ops.TypeInteger, Min: ops.Bound(MinOutputLimit), Max: ops.Bound(MaxOutputLimit),
			Description: "bytes of stdout and of stderr kept in the output, each (default 1 MiB); beyond it the first and last halves are kept"},
		{Name: "stdout_file", Type: ops.TypeString, MaxLen: 4096, Path: ops.PathInRoots,
			Description: "also write the whole stdout, byte for byte, to this file (created or truncated), inside the allowed file roots"},
		{Name: "stderr_file", Type: ops.TypeString, MaxLen: 4096, Path: ops.PathInRoots,
			Description: "also write the whole stderr to this file; it may be the same as stdout_file"},
	}
}

// killSignalNames are the signals kill_signal takes.
var killSignalNames = []any{"TERM", "INT", "HUP", "QUIT", "USR1", "USR2", "KILL"}

var killSignals = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "HUP": syscall.SIGHUP, "QUIT": syscall.SIGQUIT,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "KILL": syscall.SIGKILL,
}

// options are the parsed process-control parameters of one run.
type options struct {
	killSignal syscall.Signal
	killGrace  time.Duration // < 0: the Exec's default
	maxOutput  int           // 0: the Exec's default
	stdoutFile string
	stderrFile string
	files      []*os.File // opened by openFiles, closed by closeFiles
	stdout     io.Writer
	stderr     io.Writer
}

// validateOptions checks the shell and the output files.
func validateOptions(p ops.Params, add func(param, format string, args ...any)) {
	if _, ok := p["shell"]; ok {
		if _, hasScript := p["script"]; !hasScript {
			add("shell", "applies to script; command runs its program directly, without a shell")
		}
		if p.Known("shell") {
			if _, err := shellPrefix(p["shell"]); err != nil {
				add("shell", "%v", err)
			}
		}
	}
	for _, name := range []string{"stdout_file", "stderr_file"} {
		if !p.Known(name) {
			continue
		}
		switch s := p.String(name); {
		case s == "":
			add(name, "is empty")
		case strings.IndexByte(s, 0) >= 0:
			add(name, "contains a NUL byte")
		}
	}
}

// shellPrefix returns the argv that script is appended to.
func shellPrefix(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return []string{"/bin/sh", "-e", "-c"}, nil
	case string:
		switch x {
		case "sh":
			return []string{"/bin/sh", "-e", "-c"}, nil
		case "bash":
			return []string{"bash", "-eo", "pipefail", "-c"}, nil
		}
		return nil, fmt.Errorf("%q is not a shell arsenal-run knows; use sh, bash, or an argv prefix such as [zsh, -c]", x)
	case []any:
		if len(x) == 0 {
			return nil, fmt.Errorf("is an empty list; give the program and its flags, such as [zsh, -c]")
		}
		if len(x) > 64 {
			return nil, fmt.Errorf("has %d items, at most 64 allowed", len(x))
		}
		out := make([]string, len(x))
		for i, it := range x {
			s, ok := it.(string)
			switch {
			case !ok:
				return nil, fmt.Errorf("item %d: want a string, got %s", i, ops.TypeName(it))
			case strings.IndexByte(s, 0) >= 0:
				return nil, fmt.Errorf("item %d contains a NUL byte", i)
			case i == 0 && s == "":
				return nil, fmt.Errorf("the program name (item 0) is empty")
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("want sh, bash or a list such as [zsh, -c], got %s", ops.TypeName(v))
}

// scriptArgv is the argv that runs script with the chosen shell. sh and
// bash get $0 set to their name, as sh -c does at a prompt.
func scriptArgv(p ops.Params, script string) []string {
	prefix, _ := shellPrefix(p["shell"])
	argv := append(append([]string{}, prefix...), script)
	if v, _ := p["shell"].(string); v == "bash" {
		return append(argv, "bash")
	}
	if _, list := p["shell"].([]any); !list {
		return append(argv, "sh")
	}
	return argv
}

func parseOptions(p ops.Params) *options {
	o := &options{killSignal: killSignals[p.String("kill_signal")], killGrace: -1, maxOutput: p.Int("max_output")}
	if o.killSignal == 0 {
		o.killSignal = syscall.SIGTERM
	}
	if _, ok := p["kill_grace"]; ok {
		o.killGrace = p.Duration("kill_grace")
	}
	o.stdoutFile, o.stderrFile = p.String("stdout_file"), p.String("stderr_file")
	return o
}

// openFiles opens stdout_file and stderr_file inside the call's file roots,
// through os.Root so that no symlink leads outside them. The same path
// given twice is opened once and shared.
func (o *options) openFiles(ctx context.Context) error {
	opened := map[string]*os.File{}
	open := func(path string) (*os.File, error) {
		roots := policy.Roots(ctx)
		place, err := policy.Locate(ctx, path, roots)
		if err != nil {
			return nil, ops.WithClass(ops.ClassAuthorization, err)
		}
		if f := opened[place.Abs]; f != nil {
			return f, nil
		}
		f, err := fsroot.OpenOutput(place.Root, place.Rel, os.O_TRUNC)
		switch {
		case errors.Is(err, fsroot.ErrNotRegular):
			return nil, ops.Errorf(ops.ClassExecution, "%s is %v", path, err)
		case policy.IsEscape(err):
			return nil, ops.WithClass(ops.ClassAuthorization, policy.Escaped(ctx, path, roots))
		case err != nil:
			return nil, ops.Errorf(ops.ClassExecution, "opening %s for the output: %v", path, unwrapPath(err))
		}
		opened[place.Abs] = f
		o.files = append(o.files, f)
		return f, nil
	}
	var err error
	if o.stdoutFile != "" {
		if o.stdout, err = open(o.stdoutFile); err != nil {
			o.closeFiles()
			return err
		}
	}
	if o.stderrFile != "" {
		if o.stderr, err = open(o.stderrFile); err != nil {
			o.closeFiles()
			return err
		}
	}
	return nil
}

func (o *options) closeFiles() error {
	var first error
	for _, f := range o.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	o.files = nil
	return first
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// outputWriters adds the output files, if any, to the writers that
// capture stdout and stderr.
func (r *request) outputWriters(stdout, stderr io.Writer) (io.Writer, io.Writer) {
	if r.opts == nil {
		return stdout, stderr
	}
	if r.opts.stdout != nil {
		stdout = io.MultiWriter(stdout, r.opts.stdout)
	}
	if r.opts.stderr != nil {
		stderr = io.MultiWriter(stderr, r.opts.stderr)
	}
	return stdout, stderr
}

// outputLimit is the capture limit per stream.
func (r *request) outputLimit(e *Exec) int {
	if r.opts != nil && r.opts.maxOutput > 0 {
		return r.opts.maxOutput
	}
	if e.OutputLimit > 0 {
		return e.OutputLimit
	}
	return capture.DefaultLimit
}

// killGrace is how long the group has between the kill signal and SIGKILL.
func (r *request) killGrace(e *Exec) time.Duration {
	if r.opts != nil && r.opts.killGrace >= 0 {
		return r.opts.killGrace
	}
	return e.grace()
}

// killSignal is the signal sent when the step's context ends.
func (r *request) killSignal() syscall.Signal {
	if r.opts != nil && r.opts.killSignal != 0 {
		return r.opts.killSignal
	}
	return syscall.SIGTERM
}

// runWithOutputs runs the request with its output files open and an
// ARSENAL_OUTPUT file in its environment, and returns the values the
// process wrote there. A problem with the values fails a step whose
// process succeeded.
func (e *Exec) runWithOutputs(ctx context.Context, r *request) (*result, map[string]any, error) {
	of, err := newOutputFile()
	if err != nil {
		return nil, nil, ops.WithClass(ops.ClassExecution, err)
	}
	defer of.remove()
	r.env = append(r.env, runEnv(ctx, of)...)
	if err := r.opts.openFiles(ctx); err != nil {
		return nil, nil, err
	}
	res, err := e.run(ctx, r)
	if cerr := r.opts.closeFiles(); cerr != nil && err == nil && res != nil {
		err = ops.Errorf(ops.ClassExecution, "writing the output files: %v", cerr)
	}
	if res == nil {
		return nil, nil, err
	}
	values, verr := of.read()
	if verr != nil {
		values = map[string]any{}
		if err == nil && r.ok(res.code) {
			err = ops.WithClass(ops.ClassExecution, verr)
		}
	}
	return res, values, err
}
