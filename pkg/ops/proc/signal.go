package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// signals is the allow-list of process.signal's signals by name. SIGKILL
// is not among them: it is process.kill, an operation of its own that a
// policy allows or denies by name, and process.signal with KILL would do
// what such a policy denies. (A role that may start programs can still run
// kill itself; the policy loader warns of such a role.)
var signals = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "HUP": syscall.SIGHUP,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "QUIT": syscall.SIGQUIT, "STOP": syscall.SIGSTOP, "CONT": syscall.SIGCONT,
}

var signalNames = []string{"TERM", "INT", "HUP", "USR1", "USR2", "QUIT", "STOP", "CONT"}

// killAdvice points a KILL given to process.signal to process.kill, which
// the policy judges as the destructive operation it is.
const killAdvice = "use process.kill, which sends SIGKILL and which the policy judges on its own"

// signalOf reads process.signal's signal as kill(1) users write it: a
// name, in any case, with or without SIG (TERM, SIGTERM and term are one
// signal). A number is refused with the name to write, as the API does:
// most numbers differ between systems.
func signalOf(v string) (syscall.Signal, *ops.ParamError) {
	name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(v)), "SIG")
	if sig, ok := signals[name]; ok {
		return sig, nil
	}
	names := strings.Join(signalNames[:len(signalNames)-1], ", ") + " or " + signalNames[len(signalNames)-1]
	if name == "KILL" || name == "9" {
		return 0, &ops.ParamError{Param: "signal", Msg: fmt.Sprintf("%s is SIGKILL, which process.signal does not send; %s", v, killAdvice)}
	}
	if n, err := strconv.Atoi(name); err == nil {
		if known, ok := portableNumbers[n]; ok {
			return 0, &ops.ParamError{Param: "signal", Msg: fmt.Sprintf("%s: give the signal's name, %s, not its number", v, known)}
		}
		return 0, &ops.ParamError{Param: "signal", Msg: fmt.Sprintf("%s: give the signal's name, not its number (numbers differ between systems): %s", v, names)}
	}
	return 0, &ops.ParamError{Param: "signal", Msg: fmt.Sprintf("%q is not a signal process.signal sends%s; give %s (TERM when left out), with or without SIG, in any case",
		v, suggest.DidYouMean(name, signalNames), names)}
}

// portableNumbers are the signal numbers that are the same on every
// system, with the name to write.
var portableNumbers = map[int]string{1: "HUP", 2: "INT", 3: "QUIT", 15: "TERM"}

// SignalOp is the process.signal operation, and process.kill when kill is
// set (always SIGKILL). When the caller's scope forbids signalling other
// processes, only those its Supervisor started may be signalled.
type SignalOp struct {
	kill bool
	sup  *Supervisor
}

// mayNotSignal returns why pid may not be signalled, or nil. wantMS is
// the start time of the process meant (milliseconds since the epoch; 0 =
// any). Under signal_others: false, a pid that no process has, or that
// another process than the one meant has now, is gone (errGone), as it is
// for any role: most often a process this arsenal-run started that has
// ended since, which it did start.
func (op *SignalOp) mayNotSignal(ctx context.Context, pid int, wantMS int64) error {
	if err := guard(pid); err != nil {
		return err
	}
	if policy.MaySignalOthers(ctx) || op.sup != nil && op.sup.Started(pid) {
		return nil
	}
	got, err := createTime(ctx, pid)
	switch {
	case err != nil && isGone(err):
		return noProcess(pid)
	case err == nil && wantMS != 0 && got != wantMS:
		return anotherProcess(pid, got, wantMS)
	}
	return denied("pid %d was not started by this arsenal-run, and the caller's role may only signal processes started with process.start (signal_others: false)", pid)
}

// toTheSecond refuses a started_at written to the second (no
// milliseconds: by hand, or from a tool that shows seconds) when pid
// started within that second: not another process, most likely, but not
// one to signal either, since a process that took the pid within the same
// second would be hit too. The param is to be given as process.list
// writes it. nil otherwise, and when pid cannot be read.
func toTheSecond(ctx context.Context, pid int, given string, wantMS int64) error {
	if wantMS == 0 || wantMS%1000 != 0 {
		return nil
	}
	got, err := createTime(ctx, pid)
	if err != nil || got == wantMS || got/1000 != wantMS/1000 {
		return nil
	}
	return ops.WithClass(ops.ClassValidation, &ops.ParamError{Param: "started_at", Msg: fmt.Sprintf(
		"%s has no milliseconds, and pid %d started within that second, at %s; give started_at with its milliseconds, as process.list and process.start write it, to be sure the pid is still the process meant; nothing was signalled",
		given, pid, formatTime(msTime(got)))})
}

// anotherProcess is the error of a pid that another process than the one
// meant, which started at wantMS, has now.
func anotherProcess(pid int, gotMS, wantMS int64) error {
	return ops.WithClass(ops.ClassExecution, &tagged{errGone, fmt.Sprintf("pid %d is now another process (started %s, not %s); not signalled",
		pid, formatTime(msTime(gotMS)), formatTime(msTime(wantMS)))})
}

var (
	_ ops.Op             = (*SignalOp)(nil)
	_ ops.ParamValidator = (*SignalOp)(nil)
)

func signalSpec(name string) ops.Spec {
	s := ops.Spec{
		Name: name,
		Description: "Send a signal to one process (pid) or, like pkill, to every process whose name or command line matches. " +
			"A pid outside 1 to pid_max-1 is a parameter error; pid 1, arsenal-run itself, its parent and the processes above that are refused (and, when the caller's role says so, processes arsenal-run did not start); with a regex they are skipped. " +
			"name_regex and cmdline_regex must not be empty, and one of them must narrow the choice: a pattern that matches any name, such as . or .*, is refused unless the other one narrows it. " +
			"The step fails when no process was signalled: when nothing matched (succeeds with missing_ok), or when every match was skipped; the error names the pattern and why each match was skipped. " +
			"A zombie, which has exited already, counts as gone. " +
			"The process's start time is checked right before the signal, which goes through a pidfd, so a reused pid is never hit; " +
			"pass started_at (from process.list or process.start) to be sure pid is still the process you mean.",
		Risk: ops.RiskDestructive,
		Params: []ops.Param{
			{Name: "pid", Type: ops.TypeInteger, Min: ops.Bound(1), Description: "the process id, below the host's pid_max; exclusive with name_regex and cmdline_regex"},
			{Name: "started_at", Type: ops.TypeString, Description: "with pid: the process's start time as process.list reports it; a different process with that pid is not signalled"},
			{Name: "name_regex", Type: ops.TypeString, MaxLen: 1024, Description: "signal every process whose name matches (RE2), e.g. ^nginx$; not empty"},
			{Name: "cmdline_regex", Type: ops.TypeString, MaxLen: 1024, Description: "signal every process whose command line matches; with name_regex, both must match; not empty"},
			{Name: "missing_ok", Type: ops.TypeBool, Default: false,
				Description: "succeed with signalled: [] when no process matches (with pid: when it no longer exists), as in \"stop stale workers, if any\"; a match that may not be signalled still fails the step"},
		},
		Output: []ops.Field{
			{Name: "signalled", Type: "list", Description: "pids signalled"},
			{Name: "skipped", Type: "list", Description: "[{pid, reason}] for matches not signalled"},
		},
	}
	if name == "process.kill" {
		s.Description = "Kill with SIGKILL (cannot be caught) one process (pid) or every process whose name or command line matches. " +
			"The same safeguards as process.signal apply, and likewise the step fails when no process was killed unless missing_ok says nothing matching is fine."
	} else {
		s.Params = append(s.Params, ops.Param{Name: "signal", Type: ops.TypeString, Default: "TERM", TypeHint: "give the signal's name, as TERM or HUP (for 9, KILL, use process.kill)",
			Description: "the signal, by name, in any case, with or without SIG: TERM, INT, HUP, USR1, USR2, QUIT, STOP or CONT; for KILL use process.kill"})
	}
	return s
}

// noTarget is the problem of a call that names no process. A pid given
// as null, most often a ${{ }} that read a process not found, counts as
// none, which is what the reader of the playbook must be told.
const noTarget = "give pid, name_regex or cmdline_regex; a pid that is null counts as none, " +
	"as ${{ first(steps.find.output.processes)?.pid }} is when no process was found: " +
	"skip the step then, with when: ${{ steps.find.output.count > 0 }}"

// ValidateParams checks that one target is given, that the patterns
// compile and choose some processes rather than all, and that started_at
// parses. A value still Deferred at load time is checked when it is known.
func (*SignalOp) ValidateParams(p ops.Params, _ bool) error {
	_, hasPID := p["pid"]
	_, hasName := p["name_regex"]
	_, hasCmd := p["cmdline_regex"]
	switch {
	case hasPID && (hasName || hasCmd):
		return &ops.ParamError{Param: "pid", Msg: "give pid or a regex, not both"}
	case !hasPID && !hasName && !hasCmd:
		return &ops.ParamError{Param: "pid", Msg: noTarget}
	}
	if p.Known("pid") {
		if err := checkPID("pid", p.Int("pid")); err != nil {
			return withSignal(p, err)
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
	if errs := checkSelection(p); len(errs) > 0 {
		return withSignal(p, errs)
	}
	return withSignal(p, nil)
}

// withSignal adds to err, the other params' problems, the signal's
// (process.kill's has none), so that validate reports both at once.
func withSignal(p ops.Params, err error) error {
	if !p.Known("signal") {
		return err
	}
	_, serr := signalOf(p.String("signal"))
	if serr == nil {
		return err
	}
	var pe *ops.ParamError
	var pes ops.ParamErrors
	switch {
	case err == nil:
		return serr
	case errors.As(err, &pes):
		return append(slices.Clip(pes), serr)
	case errors.As(err, &pe):
		return ops.ParamErrors{pe, serr}
	}
	return err
}

// Execute sends the signal.
func (op *SignalOp) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	sig := syscall.SIGKILL
	if !op.kill {
		var perr *ops.ParamError
		if sig, perr = signalOf(p.String("signal")); perr != nil {
			return nil, ops.WithClass(ops.ClassValidation, perr)
		}
	}
	if p.Known("pid") {
		return op.signalPID(ctx, p, sig)
	}
	// The checks of ValidateParams again: a filter that selects every
	// process must never get as far as the listing, whoever calls.
	if errs := checkSelection(p); len(errs) > 0 {
		return nil, ops.WithClass(ops.ClassValidation, errs)
	}
	f, err := newFilter(p)
	if err != nil {
		return nil, err
	}
	if f.name == nil && f.cmdline == nil {
		return nil, ops.WithClass(ops.ClassValidation, &ops.ParamError{Param: "pid", Msg: noTarget})
	}
	f.sup = op.sup
	matched, err := f.match(ctx, 0)
	if err != nil {
		return nil, err
	}
	signalled, skipped := []any{}, []any{}
	var refused []string // why matches that are there were not signalled
	var ignored []string // why matches that count as none were not: arsenal-run itself, or gone
	for _, m := range matched {
		pid := m["pid"].(int)
		started, _ := time.Parse(time.RFC3339Nano, m["started_at"].(string))
		err := op.mayNotSignal(ctx, pid, started.UnixMilli())
		if err == nil {
			err = signalChecked(ctx, pid, started.UnixMilli(), sig, func() error { return op.mayNotSignal(ctx, pid, started.UnixMilli()) })
		}
		if err == nil {
			signalled = append(signalled, pid)
			continue
		}
		skipped = append(skipped, map[string]any{"pid": pid, "reason": err.Error()})
		if isRunner(pid) || errors.Is(err, errGone) {
			ignored = append(ignored, err.Error())
			continue
		}
		refused = append(refused, err.Error())
	}
	out := map[string]any{"signalled": signalled, "skipped": skipped}
	if len(signalled) > 0 || len(refused) == 0 && p.Bool("missing_ok") {
		return out, nil
	}
	return out, nothingSignalled(p, len(matched), ignored, refused)
}

// signalPID signals the one process p names by pid.
func (op *SignalOp) signalPID(ctx context.Context, p ops.Params, sig syscall.Signal) (map[string]any, error) {
	pid := p.Int("pid")
	if err := checkPID("pid", pid); err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	var want int64
	if p.Known("started_at") {
		t, _ := time.Parse(time.RFC3339Nano, p.String("started_at"))
		want = t.UnixMilli()
	}
	if err := toTheSecond(ctx, pid, p.String("started_at"), want); err != nil {
		return nil, err
	}
	err := op.mayNotSignal(ctx, pid, want)
	if err != nil && !errors.Is(err, errGone) {
		return nil, ops.WithClass(ops.ClassAuthorization, err)
	}
	if err == nil {
		err = signalChecked(ctx, pid, want, sig, func() error { return op.mayNotSignal(ctx, pid, want) })
	}
	if err != nil {
		if errors.Is(err, errGone) && p.Bool("missing_ok") {
			return map[string]any{"signalled": []any{}, "skipped": []any{map[string]any{"pid": pid, "reason": err.Error()}}}, nil
		}
		if errors.Is(err, errGone) {
			return nil, ops.WithClass(ops.ClassExecution, &tagged{errGone, err.Error() + "; set missing_ok: true if it may have ended already"})
		}
		return nil, err
	}
	return map[string]any{"signalled": []any{pid}, "skipped": []any{}}, nil
}

// maxReasons bounds the skip reasons an error quotes; the output lists
// them all.
const maxReasons = 5

// nothingSignalled is the error of a selection that signalled no process,
// as pkill exits 1 when nothing matched: it names the patterns and says
// why each match was skipped. ignored are the reasons of matches that
// count as none (arsenal-run itself, or gone by the time of the signal),
// refused those of processes that are there but may not be signalled.
func nothingSignalled(p ops.Params, matched int, ignored, refused []string) error {
	what := selection(p)
	switch {
	case matched == 0:
		return ops.Errorf(ops.ClassExecution, "no process matched %s; nothing was signalled (check the pattern with process.list; set missing_ok: true if nothing matching is fine)", what)
	case len(refused) == 0:
		return ops.Errorf(ops.ClassExecution, "no process to signal matched %s: the only matches were skipped (%s); nothing was signalled (set missing_ok: true if nothing matching is fine)", what, reasons(ignored))
	}
	n := "1 process"
	if matched > 1 {
		n = fmt.Sprintf("%d processes", matched)
	}
	return ops.Errorf(ops.ClassExecution, "no process was signalled: %s matched %s, and none may be signalled: %s (missing_ok does not cover a process that matches but may not be signalled)",
		n, what, reasons(append(refused, ignored...)))
}

// reasons joins skip reasons, at most maxReasons of them.
func reasons(rs []string) string {
	if len(rs) <= maxReasons {
		return strings.Join(rs, "; ")
	}
	return fmt.Sprintf("%s; and %d more (see the output's skipped)", strings.Join(rs[:maxReasons], "; "), len(rs)-maxReasons)
}

// selection describes the patterns of p as the user wrote them.
func selection(p ops.Params) string {
	var parts []string
	for _, n := range selectorParams {
		if _, ok := p[n]; ok {
			parts = append(parts, fmt.Sprintf("%s %q", n, p.String(n)))
		}
	}
	return strings.Join(parts, " and ")
}

// signalChecked signals pid if it still is the process that started at
// wantMS (milliseconds since the epoch; 0 = any) and may still be
// signalled: mayNot, asked again once the process is opened, since the one
// the caller checked may have ended and its pid gone to another (a process
// this arsenal-run started, reaped, and the pid reused by one it did not).
func signalChecked(ctx context.Context, pid int, wantMS int64, sig syscall.Signal, mayNot func() error) error {
	h, err := openProcess(pid)
	if err != nil {
		return err
	}
	defer h.close()
	if err := mayNot(); err != nil {
		return err
	}
	got, err := createTime(ctx, pid)
	if err != nil {
		return noProcess(pid)
	}
	if wantMS != 0 && got != wantMS {
		return anotherProcess(pid, got, wantMS)
	}
	if err := zombieError(ctx, pid); err != nil {
		return err
	}
	if err := h.signal(sig); err != nil {
		switch {
		case errors.Is(err, syscall.ESRCH):
			return noProcess(pid)
		case errors.Is(err, syscall.EPERM):
			return ops.WithClass(ops.ClassExecution, notPermitted(ctx, pid, err))
		}
		return ops.Errorf(ops.ClassExecution, "signalling pid %d: %v", pid, err)
	}
	return nil
}

// notPermitted explains the EPERM of signalling pid: most often a process
// of another user, which only root (or CAP_KILL) may signal. That is the
// system's refusal, not the policy's, and the way out is to run as that
// user, so the message names both users.
func notPermitted(ctx context.Context, pid int, err error) error {
	self := os.Geteuid()
	p, perr := process.NewProcessWithContext(ctx, int32(pid))
	var uids []uint32
	if perr == nil {
		uids, perr = p.UidsWithContext(ctx)
	}
	if perr == nil && len(uids) > 1 && self != 0 && !slices.Contains(uids, uint32(self)) {
		u := users{}
		owner, me := u.name(uids[1]), u.name(uint32(self))
		return fmt.Errorf("pid %d runs as user %s, and arsenal-run as user %s: the operating system lets only root (or a process with the CAP_KILL capability) signal another user's processes (%v); run arsenal-run as %s or as root for this step",
			pid, owner, me, err, owner)
	}
	return fmt.Errorf("pid %d: the operating system does not allow arsenal-run to signal it (%v): a security module (SELinux, AppArmor) or a user namespace may forbid it", pid, err)
}
