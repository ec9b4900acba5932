// Package shell holds the shell.exec operation: run a program (an argv list,
// no shell involved) or a POSIX shell script, capture its output within a
// limit, and make sure nothing it started outlives the step. With a sandbox
// it runs in a fresh directory with a scrubbed environment and resource
// limits, or not at all.
package shell

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procenv"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
)

// Exec is the shell.exec operation. The zero value is ready to use; the
// fields tune it and must not change after registration. It is safe for
// concurrent use.
type Exec struct {
	// KillGrace is how long the process group has between SIGTERM and
	// SIGKILL when the step's context ends. Default 2s.
	KillGrace time.Duration
	// OutputLimit is how many bytes of stdout and of stderr are kept, each;
	// beyond it the first and last halves are kept. Default 1 MiB.
	OutputLimit int
	// WaitDelay is how long the op waits for the output pipes to close
	// after the process group is gone, in case a process that left the
	// group (setsid) still holds them, once it has read what the group
	// wrote; and for stdin to be read, should such a process hold it.
	// Default 1s.
	WaitDelay time.Duration
	// Memory is the pool the captured stdout and stderr are held in as
	// they come (ops.OutputMemory); Register sets the registry's.
	Memory *ops.OutputMemory
}

var (
	_ ops.Op             = (*Exec)(nil)
	_ ops.ParamValidator = (*Exec)(nil)
)

// Register adds shell.exec to r. e may be nil for the defaults.
func Register(r *ops.Registry, e *Exec) error {
	var c Exec
	if e != nil {
		c = *e
	}
	c.Memory = r.OutputMemory()
	return r.Register(Spec(), &c)
}

// Spec describes shell.exec.
func Spec() ops.Spec {
	return ops.Spec{
		Name:          "shell.exec",
		StreamsOutput: true,
		Description: "Run a program given as an argv list (no shell), or a script run by sh -e (or by bash or another program, see shell). " +
			"Fails when the exit code is not in ok_codes. The program runs in its own process group; " +
			"when the step ends, times out or is cancelled, every process still in the group is killed " +
			"(kill_signal, default SIGTERM, then SIGKILL after kill_grace), and so is the whole group when arsenal-run dies, even by kill -9; " +
			"use process.start for anything meant to keep running; " +
			"a process that leaves the group (setsid) is caught only in a sandbox on a host with writable cgroups. " +
			"stdout and stderr are captured up to max_output (1 MiB) each (head and tail kept), and can be written whole to stdout_file and stderr_file. " +
			"The process gets ARSENAL_RUN_ID, ARSENAL_PLAYBOOK, ARSENAL_STEP_ID and ARSENAL_OUTPUT, a file where it may write name=value lines that become output.values. " +
			"The working directory defaults to the playbook's directory. " +
			"With sandbox, the program runs in a fresh temporary directory with only the step's env, PATH and HOME, " +
			"under the limits asked for; a limit the host cannot enforce fails the step, it never runs unsandboxed.",
		Risk: ops.RiskWrite,
		Params: append([]ops.Param{
			{Name: "command", Type: ops.TypeList, Items: ops.TypeString, MaxLen: 4096, TypeHint: "or, to run it as a shell line, use script: instead",
				Description: "the program and its arguments, e.g. [systemctl, restart, nginx]; a name without / is looked up in PATH; exclusive with script"},
			{Name: "script", Type: ops.TypeString, MaxLen: 1 << 20, NoInterpolation: true,
				Fix:         "pass the value through the step's env (env: {NAME: \"${{ expr }}\"}) and use \"$NAME\" in the script",
				Description: "a script, run by sh -e -c (stops at the first failing command) unless shell says otherwise; exclusive with command"},
			{Name: "env", Type: ops.TypeMap,
				Description: "extra environment variables (strings, numbers or bools) added to arsenal-run's own environment, or, in a sandbox, the only ones besides PATH and HOME"},
			{Name: "dir", Type: ops.TypeString,
				Description: "working directory; relative to the playbook's directory; default the playbook's directory; not allowed with sandbox"},
			{Name: "stdin", Type: ops.TypeString, MaxLen: 16 << 20, Description: "text written to the program's standard input"},
			{Name: "ok_codes", Type: ops.TypeList, Items: ops.TypeInteger, Default: []any{0}, MaxLen: 256,
				Description: "exit codes that count as success; a process killed by signal N exits with 128+N"},
			{Name: "sandbox", Type: ops.TypeMap,
				Description: "run with limits, any of: network (bool, false = no network at all), memory (address space of each process, and of all of them together where a memory cgroup is available, e.g. 256Mi), " +
					"cpu (CPU time of each process, e.g. 10s), processes (at most this many processes), open_files (int), file_size (largest file written, e.g. 10Mi)"},
		}, optionParams()...),
		Output: []ops.Field{
			{Name: "exit_code", Type: "integer", Description: "the exit code; 128+N when killed by signal N"},
			{Name: "stdout", Type: "string", Description: "standard output, as UTF-8 text with terminal escape sequences removed"},
			{Name: "stderr", Type: "string", Description: "standard error, likewise"},
			{Name: "truncated", Type: "bool", Description: "true when stdout or stderr was longer than the limit and its middle was cut"},
			{Name: "values", Type: "map", Description: "what the process wrote to the file named by $ARSENAL_OUTPUT: name=value lines and name<<EOF blocks, as $GITHUB_OUTPUT"},
			ops.ResourcesField,
		},
	}
}

// ValidateParams checks what the schema cannot: command or script, exactly
// one; no NUL bytes; env values that are scalars; ok_codes in 0..255; and a
// well-formed sandbox.
func (e *Exec) ValidateParams(p ops.Params, final bool) error {
	var errs ops.ParamErrors
	add := func(param, format string, args ...any) {
		errs = append(errs, &ops.ParamError{Param: param, Msg: fmt.Sprintf(format, args...)})
	}
	errs = append(errs, procenv.CheckCommand(p, "[ls, -l]")...)
	if p.Known("script") {
		s := p.String("script")
		if strings.TrimSpace(s) == "" {
			add("script", "is empty")
		}
		if strings.IndexByte(s, 0) >= 0 {
			add("script", "contains a NUL byte, which a shell script cannot hold")
		}
	}
	if p.Known("env") {
		if _, err := procenv.List(p.Map("env")); err != nil {
			add("env", "%v", err)
		}
	}
	if p.Known("dir") && strings.IndexByte(p.String("dir"), 0) >= 0 {
		add("dir", "contains a NUL byte")
	}
	if p.Known("ok_codes") {
		for i, v := range p.List("ok_codes") {
			if v == ops.Deferred {
				continue
			}
			if n, ok := ops.WholeNumber(v); !ok || n < 0 || n > 255 {
				add("ok_codes", "item %d: %v is not an exit code (0..255)", i, v)
			}
		}
	}
	if p.Known("sandbox") {
		if _, err := parseSandbox(p.Map("sandbox"), final); err != nil {
			add("sandbox", "%v", err)
		}
	}
	validateOptions(p, add)
	if _, hasDir := p["dir"]; hasDir {
		if _, hasSB := p["sandbox"]; hasSB {
			add("dir", "a sandboxed step runs in its own fresh directory; remove dir or sandbox")
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// request is one validated run of shell.exec.
type request struct {
	argv      []string // argv[0] as the user gave it
	program   []string // what of argv names programs and scripts: command, or script's shell
	progParam string   // the parameter that gives program: command or shell
	env       []string // the step's env, KEY=value
	dir       string   // "" = inherit
	stdin     string
	okCodes   []int
	sandbox   *limits // nil = not sandboxed
	opts      *options
}

func newRequest(ctx context.Context, p ops.Params) (*request, error) {
	r := &request{stdin: p.String("stdin"), opts: parseOptions(p)}
	if p.Known("script") {
		r.argv = scriptArgv(p, p.String("script"))
		r.program, _ = shellPrefix(p["shell"])
		r.progParam = "shell"
	} else {
		r.argv = p.Strings("command")
		r.program, r.progParam = r.argv, "command"
	}
	env, err := procenv.List(p.Map("env"))
	if err != nil {
		return nil, &ops.ParamError{Param: "env", Msg: err.Error()}
	}
	r.env = env
	for _, v := range p.List("ok_codes") {
		n, _ := ops.WholeNumber(v)
		r.okCodes = append(r.okCodes, n)
	}
	if p.Known("sandbox") {
		if r.sandbox, err = parseSandbox(p.Map("sandbox"), true); err != nil {
			return nil, &ops.ParamError{Param: "sandbox", Msg: err.Error()}
		}
		return r, nil
	}
	base := ops.CallFrom(ctx).Dir
	r.dir = base
	if d := p.String("dir"); d != "" {
		if !filepath.IsAbs(d) {
			if base == "" {
				base, _ = os.Getwd()
			}
			d = filepath.Join(base, d)
		}
		r.dir = d
	}
	if r.dir != "" {
		fi, err := os.Stat(r.dir)
		if err != nil {
			return nil, &ops.ParamError{Param: "dir", Msg: fmt.Sprintf("working directory %s: %v", r.dir, errors.Unwrap(err))}
		}
		if !fi.IsDir() {
			return nil, &ops.ParamError{Param: "dir", Msg: r.dir + " is not a directory"}
		}
	}
	return r, nil
}

func (r *request) ok(code int) bool {
	for _, c := range r.okCodes {
		if c == code {
			return true
		}
	}
	return false
}

// Execute runs the program and waits for it. The output map is returned
// with the error too when the program ran, so a failed step still shows
// what it printed.
func (e *Exec) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	r, err := newRequest(ctx, p)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	if req := policy.SandboxRequirement(ctx); req != nil {
		if r.sandbox == nil {
			return nil, ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w: the caller's role requires shell.exec to run in a sandbox (at most %s); add sandbox: {} to run under those limits, or the limits the step needs within them", ops.ErrDenied, req))
		}
		// The role's limits apply: no network unless they allow it, and
		// each limit the step leaves out is the role's.
		if r.sandbox, err = sandbox.Apply(r.sandbox, req); err != nil {
			return nil, ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w: sandbox %v", ops.ErrDenied, err))
		}
	}
	res, values, err := e.runWithOutputs(ctx, r)
	if res == nil {
		return nil, err
	}
	out := map[string]any{
		"exit_code": res.code,
		"stdout":    res.stdout,
		"stderr":    res.stderr,
		"truncated": res.truncated,
		"values":    values,
	}
	if res.resources != nil {
		out[ops.ResourcesKey] = res.resources.Map()
	}
	if err != nil {
		return out, err
	}
	if !r.ok(res.code) {
		return out, ops.WithClass(ops.ClassExecution, res.failure(r, ops.CallFrom(ctx).Secrets))
	}
	return out, nil
}

// StopTime is the kill_grace the step gives its program, and the wait for
// its output after SIGKILL: the engine does not abandon the step before
// those (the default grace is within the engine's own).
func (e *Exec) StopTime(p ops.Params) time.Duration {
	if _, ok := p["kill_grace"]; !ok {
		return 0
	}
	return p.Duration("kill_grace") + e.waitDelay()
}

func (e *Exec) grace() time.Duration {
	if e.KillGrace > 0 {
		return e.KillGrace
	}
	return 2 * time.Second
}

func (e *Exec) waitDelay() time.Duration {
	if e.WaitDelay > 0 {
		return e.WaitDelay
	}
	return time.Second
}
