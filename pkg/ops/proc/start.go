package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procenv"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// startProcess starts spec's command detached: in a new session (so the
// run's process group signals do not reach it), stdin from /dev/null,
// output appended to the given files, opened inside their roots. It
// returns the pid; the caller watches and reaps the process.
func startProcess(spec Spec) (int, error) {
	base := spec.Base
	if base == nil {
		base = os.Environ()
	}
	env := append(slices.Clip(base), spec.Env...)
	search := searchPath(env)
	if spec.Dir != "" {
		if fi, err := os.Stat(spec.Dir); err != nil || !fi.IsDir() {
			return 0, dirError(spec.Dir)
		}
	}
	path, err := procenv.Resolve(spec.Command[0], spec.Dir, search)
	if err != nil {
		return 0, err
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	files := []*os.File{devnull, nil, nil}
	for i, out := range []OutputFile{spec.Stdout, spec.Stderr} {
		if out == (OutputFile{}) {
			f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				return 0, err
			}
			defer f.Close()
			files[i+1] = f
			continue
		}
		if i == 1 && out.Path == spec.Stdout.Path {
			files[2] = files[1]
			continue
		}
		f, err := out.open()
		if err != nil {
			return 0, err
		}
		defer f.Close()
		files[i+1] = f
	}
	p, err := os.StartProcess(path, spec.Command, &os.ProcAttr{
		Dir: spec.Dir, Env: env, Files: files,
		Sys: &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return 0, procenv.StartError(spec.Command[0], err)
	}
	pid := p.Pid
	_ = p.Release() // the supervisor's watcher waits for it instead
	return pid, nil
}

func envPath(env []string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], "PATH="); ok {
			return v
		}
	}
	return ""
}

// StartOp is the process.start operation.
type StartOp struct{ sup *Supervisor }

var (
	_ ops.Op             = (*StartOp)(nil)
	_ ops.ParamValidator = (*StartOp)(nil)
)

// groupRE checks a supervisor group name; its length (at most 63) is the
// param's MaxLen. A {0,62} repetition here would expand at program start.
var groupRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

func startSpec() ops.Spec {
	return ops.Spec{
		Name: "process.start",
		Description: "Start a long-running process, detached in its own session, and return its pid without waiting for it. " +
			"With supervisor, the process joins that named group, restarted by its restart policy with backoff for as long as this arsenal-run runs (serve, schedule); " +
			"under run, the process simply outlives the run. Output goes to stdout_file/stderr_file (appended) or is discarded; " +
			"those files lie inside the caller's file roots and are opened there again on every restart, so no symlink leads out of them.",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			{Name: "command", Type: ops.TypeList, Items: ops.TypeString, Required: true, MaxLen: 4096, Description: "the program and its arguments, e.g. [/usr/local/bin/mailer, --queue, mail]"},
			{Name: "env", Type: ops.TypeMap, Description: "extra environment variables (strings, numbers or bools)"},
			{Name: "dir", Type: ops.TypeString, Description: "working directory; relative to the playbook's directory; default the playbook's directory"},
			{Name: "stdout_file", Type: ops.TypeString, MaxLen: 4096, Path: ops.PathInRoots, Description: "file the output is appended to, inside the allowed file roots (a symlink may not lead out of them); relative to the playbook's directory"},
			{Name: "stderr_file", Type: ops.TypeString, MaxLen: 4096, Path: ops.PathInRoots, Description: "file the errors are appended to, likewise; may be the same as stdout_file"},
			{Name: "supervisor", Type: ops.TypeString, MaxLen: 63, Description: "name of the supervisor group to keep the process in, e.g. workers"},
			{Name: "restart", Type: ops.TypeString, Default: "never", Enum: []any{"never", "on-failure", "always"},
				Description: "with supervisor: never, on-failure (exit code not 0) or always"},
		},
		Output: []ops.Field{
			{Name: "pid", Type: "integer"},
			{Name: "started_at", Type: "string", Description: "RFC 3339, to pass to process.signal to be sure the pid was not reused"},
			{Name: "supervisor", Type: "string", Description: "the group; null when unsupervised"},
		},
	}
}

// ValidateParams checks the command, env, group name and restart policy.
func (*StartOp) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	if p.Known("command") {
		argv := p.List("command")
		if len(argv) == 0 || argv[0] == "" {
			errs = append(errs, &ops.ParamError{Param: "command", Msg: "give at least the program name"})
		}
		for i, a := range argv {
			if s, ok := a.(string); ok && strings.IndexByte(s, 0) >= 0 {
				errs = append(errs, &ops.ParamError{Param: "command", Msg: fmt.Sprintf("item %d contains a NUL byte", i)})
			}
		}
	}
	if p.Known("env") {
		if _, err := procenv.List(p.Map("env")); err != nil {
			errs = append(errs, &ops.ParamError{Param: "env", Msg: err.Error()})
		}
	}
	if p.Known("supervisor") && !groupRE.MatchString(p.String("supervisor")) {
		errs = append(errs, &ops.ParamError{Param: "supervisor", Msg: fmt.Sprintf("%q: use lower case letters, digits, _ . and -", p.String("supervisor"))})
	}
	_, hasSup := p["supervisor"]
	if p.Known("restart") && p.String("restart") != "never" && !hasSup {
		errs = append(errs, &ops.ParamError{Param: "restart", Msg: "only a supervised process is restarted; set supervisor too"})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Execute starts the process.
func (op *StartOp) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	if req := policy.SandboxRequirement(ctx); req != nil {
		return nil, ops.WithClass(ops.ClassAuthorization, denied("the caller's role requires programs to run in a sandbox (%s), and process.start cannot: its process outlives the step; use shell.exec with sandbox: instead", req))
	}
	env, err := procenv.List(p.Map("env"))
	if err != nil {
		return nil, ops.Errorf(ops.ClassValidation, "param env: %v", err)
	}
	// The run's environment (an API run's allow list), not the server's.
	spec := Spec{Command: p.Strings("command"), Base: ops.Environ(ctx), Env: env, Group: p.String("supervisor"), Restart: Restart(p.String("restart")),
		Secrets: ops.CallFrom(ctx).Secrets, Say: ops.CallFrom(ctx).Message}
	// The working directory is not confined to the file roots, as
	// shell.exec's is not: it opens nothing. The output files are.
	spec.Dir = ops.CallFrom(ctx).Dir
	if d := p.String("dir"); d != "" {
		if spec.Dir, err = policy.Abs(ctx, d); err != nil {
			return nil, ops.WithClass(ops.ClassValidation, err)
		}
	}
	roots := policy.Roots(ctx)
	if spec.Stdout, err = outputFile(ctx, p, "stdout_file", roots); err != nil {
		return nil, err
	}
	if spec.Stderr, err = outputFile(ctx, p, "stderr_file", roots); err != nil {
		return nil, err
	}
	// Judged at this start, and again before each of the supervisor's
	// restarts, which run the files then at the paths and load what the
	// env and the run's env files name then (a library of LD_PRELOAD, a
	// directory of PATH): a directory made writable by every user since
	// would let any of them choose them.
	if err := judgeFiles(ctx, spec); err != nil {
		return nil, err
	}
	if call := ops.CallFrom(ctx); call.RefuseSwappable && spec.Group != "" {
		judged := ops.WithCall(context.Background(), &ops.Call{RefuseSwappable: true, FileEnv: call.FileEnv, FileEnvAt: call.FileEnvAt})
		again := spec
		spec.Judge = func() error { return judgeFiles(judged, again) }
	}
	ci, err := op.sup.Start(spec)
	switch {
	case procenv.IsProgramError(err), errors.As(err, new(dirError)):
		// A missing or non-executable program, or a working directory
		// that is not there, is the step's mistake; retrying does not
		// fix it.
		return nil, ops.WithClass(ops.ClassValidation, err)
	case err != nil:
		return nil, startError(ctx, err, roots)
	}
	var group any
	if spec.Group != "" {
		group = spec.Group
	}
	return map[string]any{"pid": ci.PID, "started_at": formatTime(ci.StartedAt), "supervisor": group}, nil
}

// searchPath is the PATH the program of a process of environment env is
// found on: a run whose environment has none (an API run that passes none
// through) finds programs on this process's, as shell.exec does.
func searchPath(env []string) string {
	if search := envPath(env); search != "" {
		return search
	}
	return os.Getenv("PATH")
}

// judgeFiles refuses, when the call refuses swappable files, spec's
// process for a file it would run that another user of the host could
// swap: its program (by path, or as found through PATH), the files its
// env names (PATH, LD_PRELOAD…), relative ones taken from its working
// directory. It judges at the start and, through Spec.Judge, before each
// restart, when each is looked up again.
func judgeFiles(ctx context.Context, spec Spec) error {
	if err := policy.SwappableProgram(ctx, "command", spec.Command, spec.Dir); err != nil {
		return err
	}
	if err := policy.SwappableEnv(ctx, "env", spec.Env, spec.Dir); err != nil {
		return err
	}
	// What the run's env files set in Base, unless the step's env sets it.
	if err := policy.SwappableFileEnv(ctx, policy.NotSetIn(spec.Env), spec.Dir); err != nil {
		return err
	}
	if !ops.CallFrom(ctx).RefuseSwappable || len(spec.Command) == 0 || strings.Contains(spec.Command[0], "/") {
		return nil
	}
	base := spec.Base
	if base == nil {
		base = os.Environ()
	}
	env := append(slices.Clip(base), spec.Env...)
	path, err := procenv.Resolve(spec.Command[0], spec.Dir, searchPath(env))
	if err != nil {
		return nil // the start says what is missing
	}
	return policy.SwappableFound(ctx, "command", spec.Command[0], path)
}

// formatTime is the time format of every process output: RFC 3339 in UTC
// with milliseconds, the precision of process start times.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
}

// dirError is a working directory that does not exist or is not a
// directory.
type dirError string

func (d dirError) Error() string {
	return fmt.Sprintf("working directory %s does not exist or is not a directory", string(d))
}
