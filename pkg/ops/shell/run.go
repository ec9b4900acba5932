package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procgroup"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/capture"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/outhold"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/outpipe"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procenv"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procres"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/redact"
)

// result is what a finished process left.
type result struct {
	code           int
	signal         syscall.Signal // the signal that killed it, or 0
	stdout, stderr string
	truncated      bool
	limits         *limits
	resources      *ops.Resources // nil when the platform keeps no rusage
}

// failure explains an exit code that is not in ok_codes.
func (res *result) failure(r *request, secrets []string) error {
	var msg string
	if res.signal != 0 {
		msg = fmt.Sprintf("killed by signal %s (exit code %d, not in ok_codes %s)%s", signalName(res.signal), res.code, ops.FlowList(r.okCodes), hint(res.limits, res.signal))
	} else {
		msg = fmt.Sprintf("exit code %d is not in ok_codes %s", res.code, ops.FlowList(r.okCodes))
		if sig := syscall.Signal(res.code - 128); res.code > 128 && hint(res.limits, sig) != "" {
			// A shell reports a child killed by signal N as 128+N.
			msg += fmt.Sprintf(" (a process was killed by %s%s)", signalName(sig), hint(res.limits, sig))
		}
	}
	if tail := capture.LastLines(redact.Text(secrets, res.stderr), 5, 800); tail != "" {
		msg += "; stderr ends with:\n" + tail
	}
	return errors.New(msg)
}

// run starts the process, waits for it and for every process of its group,
// and collects its output.
func (e *Exec) run(ctx context.Context, r *request) (*result, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	// The process dies with this thread (Pdeathsig); keep the thread until
	// the process has been reaped.
	defer lockThread()()
	call := ops.CallFrom(ctx)
	// Whoever lists processes while it runs sees its command line.
	redact.RememberCommandSecrets(r.argv, call.Secrets)
	limit := r.outputLimit(e)
	held, err := outhold.Hold(ctx, e.Memory, limit, func() string { return fmt.Sprintf("shell.exec of %s (max_output %d)", r.argv[0], limit) })
	if err != nil {
		return nil, err
	}
	defer held.Release()
	stdout, stderr := held.Buffer(limit), held.Buffer(limit)
	stdout.Guard(call.Secrets)
	stderr.Guard(call.Secrets)
	cmd := &exec.Cmd{
		Args:        r.argv,
		Dir:         r.dir,
		Stdout:      stdout,
		Stderr:      stderr,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		// Bounds the copy of stdin alone (stdout and stderr are the
		// pipes below): a process that left the group (setsid) and
		// holds stdin unread does not hold the step.
		WaitDelay: e.waitDelay(),
	}
	setPdeathsig(cmd.SysProcAttr)
	if r.stdin != "" {
		cmd.Stdin = strings.NewReader(r.stdin)
	}
	var lines []*capture.LineWriter
	if call.Output != nil {
		mu, mask := &sync.Mutex{}, redact.Masker(call.Secrets)
		errOut := call.Output
		if call.ErrOutput != nil {
			errOut = call.ErrOutput
		}
		lo, le := capture.NewLineWriter(call.Output, mu, mask), capture.NewLineWriter(errOut, mu, mask)
		cmd.Stdout, cmd.Stderr = io.MultiWriter(stdout, lo), io.MultiWriter(stderr, le)
		lines = append(lines, lo, le)
	}
	outW, errW := r.outputWriters(cmd.Stdout, cmd.Stderr)
	pipes, err := outpipe.NewPair()
	if err != nil {
		return nil, ops.WithClass(ops.ClassExecution, fmt.Errorf("starting %s: %w", r.argv[0], err))
	}
	defer pipes.Abandon()
	cmd.Stdout, cmd.Stderr = pipes[0].W, pipes[1].W

	var sb *sandboxRun
	if r.sandbox != nil {
		var err error
		if sb, err = prepareSandbox(cmd, r); err != nil {
			return nil, ops.WithClass(startClass(err), err)
		}
		defer sb.cleanup()
	} else {
		cmd.Env = append(ops.Environ(ctx), r.env...)
		path, err := procenv.Resolve(r.argv[0], r.dir, pathOf(r.env, os.Getenv("PATH")))
		if err != nil {
			return nil, ops.WithClass(ops.ClassValidation, err)
		}
		cmd.Path = path
		if !strings.Contains(r.argv[0], "/") {
			if err := policy.SwappableFound(ctx, r.progParam, r.argv[0], path); err != nil {
				return nil, err
			}
		}
	}

	// In the working directory the program gets: a sandbox's own.
	if err := policy.SwappableProgram(ctx, r.progParam, r.program, cmd.Dir); err != nil {
		return nil, err
	}
	if err := policy.SwappableEnv(ctx, "env", r.env, cmd.Dir); err != nil {
		return nil, err
	}
	if sb == nil { // a sandbox's program gets the step's env alone
		if err := policy.SwappableFileEnv(ctx, policy.NotSetIn(r.env), cmd.Dir); err != nil {
			return nil, err
		}
	}
	if r.progParam == "shell" {
		// script: the text its shell runs with -c, whose plain lines are
		// commands too
		if err := policy.SwappableProgram(ctx, "script", r.argv[:len(r.program)+1], cmd.Dir); err != nil {
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		if sb != nil {
			return nil, ops.WithClass(ops.ClassExecution, sb.startError(err))
		}
		err = procenv.StartError(r.argv[0], err)
		return nil, ops.WithClass(startClass(err), err)
	}
	pipes.Start(outW, errW)
	g := procgroup.New(cmd.Process.Pid, r.killSignal(), r.killGrace(e))
	// Until the group is gone, the watchdog kills it if arsenal-run dies.
	theReaper.watchGroup(g.PGID())
	defer theReaper.forgetGroup(g.PGID())
	if sb != nil {
		if err := sb.started(cmd.Process.Pid); err != nil {
			g.Finish()
			sb.killAll()
			_ = cmd.Wait()
			return nil, ops.WithClass(startClass(err), err)
		}
	}
	stop := context.AfterFunc(ctx, g.Terminate)
	exited := procgroup.WaitExited(cmd.Process.Pid)
	stop()
	if exited {
		// The leader is a zombie, so its process group id cannot have been
		// reused: kill what it left behind before reaping it.
		g.Finish()
	}
	if sb != nil {
		sb.killAll()
	}
	werr := cmd.Wait()
	if !exited {
		g.Finish()
	}
	if perr := pipes.Wait(e.waitDelay()); perr != nil && werr == nil {
		werr = perr
	}
	for _, l := range lines {
		l.Flush()
	}
	state := cmd.ProcessState
	if state == nil {
		return nil, ops.WithClass(ops.ClassExecution, fmt.Errorf("waiting for %s: %w", r.argv[0], werr))
	}
	res := &result{
		stdout:    held.Text(stdout),
		stderr:    held.Text(stderr),
		truncated: stdout.Truncated() || stderr.Truncated(),
		limits:    r.sandbox,
	}
	if ru, ok := procres.Of(state); ok {
		res.resources = &ru
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.signal = ws.Signal()
		res.code = 128 + int(res.signal)
	} else {
		res.code = state.ExitCode()
	}
	if g.WasTerminated() {
		return res, fmt.Errorf("%w: the process group of %s was stopped (%s)", context.Cause(ctx), r.argv[0], g.Stopping("kill_grace"))
	}
	var exitErr *exec.ExitError
	if werr != nil && !errors.As(werr, &exitErr) && !errors.Is(werr, exec.ErrWaitDelay) {
		return res, ops.WithClass(ops.ClassExecution, fmt.Errorf("reading the output of %s: %w", r.argv[0], werr))
	}
	return res, nil
}

// startClass is the class of a failure to start the program: validation
// when the program cannot be run at all (it is missing or not executable,
// which retrying does not change), else execution.
func startClass(err error) ops.Class {
	if procenv.IsProgramError(err) {
		return ops.ClassValidation
	}
	return ops.ClassExecution
}

// pathOf returns the PATH set in env, else def.
func pathOf(env []string, def string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], "PATH="); ok {
			return v
		}
	}
	return def
}

func signalName(s syscall.Signal) string {
	if n := sigNames[s]; n != "" {
		return n
	}
	return fmt.Sprintf("%d (%s)", int(s), s)
}

var sigNames = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGILL: "SIGILL", syscall.SIGABRT: "SIGABRT", syscall.SIGBUS: "SIGBUS",
	syscall.SIGFPE: "SIGFPE", syscall.SIGKILL: "SIGKILL", syscall.SIGSEGV: "SIGSEGV",
	syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM",
	syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2", syscall.SIGXCPU: "SIGXCPU",
	syscall.SIGXFSZ: "SIGXFSZ",
}
