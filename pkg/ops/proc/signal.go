package proc

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// signals is the allow-list of signals by name.
var signals = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL, "INT": syscall.SIGINT, "HUP": syscall.SIGHUP,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "QUIT": syscall.SIGQUIT, "STOP": syscall.SIGSTOP, "CONT": syscall.SIGCONT,
}

var signalNames = []any{"TERM", "KILL", "INT", "HUP", "USR1", "USR2", "QUIT", "STOP", "CONT"}

// SignalOp is the process.signal operation, and process.kill when kill is
// set (always SIGKILL). When the caller's scope forbids signalling other
// processes, only those its Supervisor started may be signalled.
type SignalOp struct {
	kill bool
	sup  *Supervisor
}

// mayNotSignal returns why pid may not be signalled, or nil.
func (op *SignalOp) mayNotSignal(ctx context.Context, pid int) error {
	if err := guard(pid); err != nil {
		return err
	}
	if !policy.MaySignalOthers(ctx) && (op.sup == nil || !op.sup.Started(pid)) {
		return fmt.Errorf("%w: pid %d was not started by this arsenal-run, and the caller's role may only signal processes started with process.start", ops.ErrDenied, pid)
	}
	return nil
}

var (
	_ ops.Op             = (*SignalOp)(nil)
	_ ops.ParamValidator = (*SignalOp)(nil)
)

func signalSpec(name string) ops.Spec {
	s := ops.Spec{
		Name: name,
		Description: "Send a signal to one process (pid) or to every process whose name or command line matches. " +
			"A pid outside 1 to pid_max-1 is a parameter error; pid 1, arsenal-run itself and its parent are refused (and, when the caller's role says so, processes arsenal-run did not start); with a regex they are skipped. " +
			"The process's start time is checked right before the signal, which goes through a pidfd, so a reused pid is never hit; " +
			"pass started_at (from process.list or process.start) to be sure pid is still the process you mean.",
		Risk: ops.RiskDestructive,
		Params: []ops.Param{
			{Name: "pid", Type: ops.TypeInteger, Min: ops.Bound(1), Description: "the process id, below the host's pid_max; exclusive with name_regex and cmdline_regex"},
			{Name: "started_at", Type: ops.TypeString, Description: "with pid: the process's start time as process.list reports it; a different process with that pid is not signalled"},
			{Name: "name_regex", Type: ops.TypeString, MaxLen: 1024, Description: "signal every process whose name matches (RE2)"},
			{Name: "cmdline_regex", Type: ops.TypeString, MaxLen: 1024, Description: "signal every process whose command line matches; with name_regex, both must match"},
		},
		Output: []ops.Field{
			{Name: "signalled", Type: "list", Description: "pids signalled"},
			{Name: "skipped", Type: "list", Description: "[{pid, reason}] for matches not signalled"},
		},
	}
	if name == "process.kill" {
		s.Description = "Kill with SIGKILL (cannot be caught) one process (pid) or every process whose name or command line matches. " +
			"The same safeguards as process.signal apply."
	} else {
		s.Params = append(s.Params, ops.Param{Name: "signal", Type: ops.TypeString, Default: "TERM", Enum: signalNames, Description: "the signal, by name"})
	}
	return s
}

// ValidateParams checks that one target is given and that started_at
// parses.
func (*SignalOp) ValidateParams(p ops.Params, _ bool) error {
	_, hasPID := p["pid"]
	_, hasName := p["name_regex"]
	_, hasCmd := p["cmdline_regex"]
	switch {
	case hasPID && (hasName || hasCmd):
		return &ops.ParamError{Param: "pid", Msg: "give pid or a regex, not both"}
	case !hasPID && !hasName && !hasCmd:
		return &ops.ParamError{Param: "pid", Msg: "give pid, name_regex or cmdline_regex"}
	}
	if p.Known("pid") {
		if err := checkPID("pid", p.Int("pid")); err != nil {
			return err
		}
	}
	if _, ok := p["started_at"]; ok && !hasPID {
		return &ops.ParamError{Param: "started_at", Msg: "goes with pid"}
	}
	if p.Known("started_at") {
		if _, err := time.Parse(time.RFC3339Nano, p.String("started_at")); err != nil {
			return &ops.ParamError{Param: "started_at", Msg: fmt.Sprintf("want an RFC 3339 time as process.list reports, got %q", p.String("started_at"))}
		}
	}
	return checkRegexps(p, "name_regex", "cmdline_regex")
}

// Execute sends the signal.
func (op *SignalOp) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	sig := syscall.SIGKILL
	if !op.kill {
		sig = signals[p.String("signal")]
	}
	skipped := []any{}
	if p.Known("pid") {
		pid := p.Int("pid")
		if err := checkPID("pid", pid); err != nil {
			return nil, ops.WithClass(ops.ClassValidation, err)
		}
		if err := op.mayNotSignal(ctx, pid); err != nil {
			return nil, ops.WithClass(ops.ClassAuthorization, err)
		}
		var want int64
		if p.Known("started_at") {
			t, _ := time.Parse(time.RFC3339Nano, p.String("started_at"))
			want = t.UnixMilli()
		}
		if err := signalChecked(ctx, pid, want, sig); err != nil {
			return nil, err
		}
		return map[string]any{"signalled": []any{pid}, "skipped": skipped}, nil
	}
	f, err := newFilter(p)
	if err != nil {
		return nil, err
	}
	matched, err := f.match(ctx, 0)
	if err != nil {
		return nil, err
	}
	signalled := []any{}
	for _, m := range matched {
		pid := m["pid"].(int)
		if err := op.mayNotSignal(ctx, pid); err != nil {
			skipped = append(skipped, map[string]any{"pid": pid, "reason": err.Error()})
			continue
		}
		started, _ := time.Parse(time.RFC3339Nano, m["started_at"].(string))
		if err := signalChecked(ctx, pid, started.UnixMilli(), sig); err != nil {
			skipped = append(skipped, map[string]any{"pid": pid, "reason": err.Error()})
			continue
		}
		signalled = append(signalled, pid)
	}
	return map[string]any{"signalled": signalled, "skipped": skipped}, nil
}

// signalChecked signals pid if it still is the process that started at
// wantMS (milliseconds since the epoch; 0 = any).
func signalChecked(ctx context.Context, pid int, wantMS int64, sig syscall.Signal) error {
	h, err := openProcess(pid)
	if err != nil {
		return err
	}
	defer h.close()
	got, err := createTime(ctx, pid)
	if err != nil {
		return noProcess(pid)
	}
	if wantMS != 0 && got != wantMS {
		return ops.Errorf(ops.ClassExecution, "pid %d is now another process (started %s, not %s); not signalled",
			pid, formatTime(msTime(got)), formatTime(msTime(wantMS)))
	}
	if err := h.signal(sig); err != nil {
		switch {
		case errors.Is(err, syscall.ESRCH):
			return noProcess(pid)
		case errors.Is(err, syscall.EPERM):
			return ops.Errorf(ops.ClassExecution, "pid %d: the operating system does not allow arsenal-run to signal it (%v)", pid, err)
		}
		return ops.Errorf(ops.ClassExecution, "signalling pid %d: %v", pid, err)
	}
	return nil
}
