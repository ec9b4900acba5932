package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shirou/gopsutil/v4/process"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestSignalRefusesPatternsThatSelectEveryProcess: an empty or blank
// pattern (an input left unset) is no filter at all, and a pattern that
// matches any name is not one on its own; process.signal and process.kill
// refuse both when the playbook loads if the value is literal, and before
// listing any process once an expression gives it. The signal is CONT
// throughout, so that a regression could not do much harm.
func TestSignalRefusesPatternsThatSelectEveryProcess(t *testing.T) {
	r, _ := newEnv(t, Options{})
	refused := []struct {
		raw   map[string]any
		param string
		want  string
	}{
		{map[string]any{"name_regex": ""}, "name_regex", "is empty"},
		{map[string]any{"cmdline_regex": ""}, "cmdline_regex", "is empty"},
		{map[string]any{"name_regex": " \t"}, "name_regex", "is blank"},
		{map[string]any{"name_regex": "", "cmdline_regex": "--worker"}, "name_regex", "is empty"},
		{map[string]any{"name_regex": ".*"}, "name_regex", "matches every process"},
		{map[string]any{"name_regex": "."}, "name_regex", "matches every process"},
		{map[string]any{"cmdline_regex": "^"}, "cmdline_regex", "matches every process"},
		{map[string]any{"cmdline_regex": "(?s).*|x"}, "cmdline_regex", "matches every process"},
		{map[string]any{"name_regex": ".*", "cmdline_regex": ".+"}, "name_regex", "matches every process"},
		// Patterns that miss only shapes no process has: every process a
		// host runs has a name of letters.
		{map[string]any{"name_regex": `\S`}, "name_regex", "matches every process"},
		{map[string]any{"name_regex": "[^0]"}, "name_regex", "matches every process"},
		{map[string]any{"name_regex": "[a-z]"}, "name_regex", "matches every process"},
		{map[string]any{"cmdline_regex": `\w`}, "cmdline_regex", "matches every process"},
	}
	for _, op := range []string{"process.signal", "process.kill"} {
		e, err := r.Get(op)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range refused {
			raw := with(tc.raw)
			if op == "process.signal" {
				raw["signal"] = "CONT"
			}
			for _, final := range []bool{false, true} {
				_, err := e.Validate(raw, final)
				if err == nil || !strings.Contains(err.Error(), "param "+tc.param+": ") || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "give pid") {
					t.Errorf("%s %v (final %v): %v, want an error on %s saying %q and what to give", op, tc.raw, final, err, tc.param, tc.want)
				}
			}
		}
		// A value still an expression at load time is checked once known.
		if _, err := e.Validate(map[string]any{"name_regex": ops.Deferred}, false); err != nil {
			t.Errorf("%s with name_regex still an expression: %v", op, err)
		}
		if _, err := e.Validate(map[string]any{"name_regex": ".*", "cmdline_regex": ops.Deferred}, false); err != nil {
			t.Errorf("%s with .* and cmdline_regex still an expression: %v", op, err)
		}
		if _, err := e.Validate(map[string]any{"name_regex": ""}, true); err == nil {
			t.Errorf("%s: an expression that gave \"\" was accepted", op)
		}
		// A pattern that names processes is fine, and so is .* narrowed
		// by the other pattern.
		for _, raw := range []map[string]any{
			{"name_regex": "^nginx$"}, {"cmdline_regex": "worker"}, {"name_regex": ".*", "cmdline_regex": "--queue=mail"}, {"name_regex": "^[a-z]+-worker$"}, {"name_regex": "s"},
		} {
			if _, err := e.Validate(raw, true); err != nil {
				t.Errorf("%s %v: %v", op, raw, err)
			}
		}
	}

	// Whoever calls Execute without validating first, it refuses too:
	// nothing is listed, nothing is signalled.
	for _, p := range []ops.Params{
		{"name_regex": "", "signal": "CONT"},
		{"cmdline_regex": " ", "signal": "CONT"},
		{"name_regex": ".*", "signal": "CONT"},
		{"signal": "CONT"},
	} {
		out, err := (&SignalOp{}).Execute(context.Background(), p)
		if ops.ClassOf(err) != ops.ClassValidation || out != nil {
			t.Errorf("Execute %v: %v %v, want a validation error and no output", p, out, err)
		}
	}
}

// TestSignalFailsWhenNothingSignalled: like pkill, which exits 1 when no
// process matched, a step that signalled nothing fails, naming the pattern
// and why the matches were skipped; missing_ok makes "nothing matched" a
// success, but not matches that may not be signalled.
func TestSignalFailsWhenNothingSignalled(t *testing.T) {
	r, _ := newEnv(t, Options{})
	mark := marker(t)
	for _, op := range []string{"process.signal", "process.kill"} {
		raw := map[string]any{"cmdline_regex": mark}
		if op == "process.signal" {
			raw["signal"] = "HUP"
		}
		out, err := opstest.Execute(r, context.Background(), op, raw)
		if ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), `no process matched cmdline_regex "`+mark+`"`) || !strings.Contains(err.Error(), "missing_ok") {
			t.Errorf("%s matching nothing: %v (class %s), want a failure naming the pattern", op, err, ops.ClassOf(err))
		}
		if diff := cmp.Diff(map[string]any{"signalled": []any{}, "skipped": []any{}}, out); diff != "" {
			t.Errorf("%s matching nothing: output (-want +got):\n%s", op, diff)
		}
		out, err = opstest.Execute(r, context.Background(), op, with(raw, "missing_ok", true))
		if err != nil || cmp.Diff(map[string]any{"signalled": []any{}, "skipped": []any{}}, out) != "" {
			t.Errorf("%s matching nothing with missing_ok: %v %v, want success", op, out, err)
		}
	}

	// Only arsenal-run itself matched: that is no match, as for pkill.
	out, err := opstest.Execute(r, context.Background(), "process.signal", map[string]any{"cmdline_regex": selfCmdline(), "signal": "CONT"})
	if ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "no process to signal matched cmdline_regex") || !strings.Contains(err.Error(), "is arsenal-run itself") {
		t.Errorf("only arsenal-run itself matched: %v (class %s)", err, ops.ClassOf(err))
	}
	if skipped, _ := out["skipped"].([]any); len(skipped) != 1 {
		t.Errorf("only arsenal-run itself matched: output %v", out)
	}

	// With pid, missing_ok covers a process that has gone.
	started, err := opstest.Execute(r, context.Background(), "process.start", helper(t, "exit0", marker(t)))
	if err != nil {
		t.Fatal(err)
	}
	pid := started["pid"].(int)
	gone(t, pid)
	if _, err := opstest.Execute(r, context.Background(), "process.kill", map[string]any{"pid": pid}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("no process with pid %d: it has exited, or the pid is wrong", pid)) {
		t.Errorf("kill of a gone pid: %v", err)
	}
	out, err = opstest.Execute(r, context.Background(), "process.kill", map[string]any{"pid": pid, "missing_ok": true})
	if signalled, _ := out["signalled"].([]any); err != nil || len(signalled) != 0 || len(out["skipped"].([]any)) != 1 {
		t.Errorf("kill of a gone pid with missing_ok: %v %v, want success with it skipped", out, err)
	}
}

// TestSignalFailsWhenEveryMatchIsRefused: matches that may not be
// signalled (here: not started by this arsenal-run, for a role with
// signal_others: false) fail the step even with missing_ok, and the error
// says why.
func TestSignalFailsWhenEveryMatchIsRefused(t *testing.T) {
	r, _ := newEnv(t, Options{})
	mark := marker(t)
	// The inner process is started by the shell, not by process.start;
	// its command line starts with the test binary, the shell's does not.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	outer, err := opstest.Execute(r, context.Background(), "process.start", map[string]any{
		"command": []any{"sh", "-c", `"$0" -test.run='^$' "$1" & wait`, exe, mark},
		"env":     map[string]any{"ARSENAL_PROC_HELPER": "sleep"}})
	if err != nil {
		t.Fatal(err)
	}
	innerRE := "^" + regexp.QuoteMeta(exe+" -test.run=^$ "+mark) + "$"
	eventually(t, "the inner process runs", func() bool {
		out, _ := opstest.Execute(r, context.Background(), "process.list", map[string]any{"cmdline_regex": innerRE})
		return out["count"] == 1
	})
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: noOthers{}})
	out, err := opstest.Execute(r, ctx, "process.signal", map[string]any{"cmdline_regex": innerRE, "signal": "CONT", "missing_ok": true})
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(msg, "no process was signalled: 1 process matched cmdline_regex") ||
		!strings.Contains(msg, "not started by this arsenal-run") || !strings.Contains(msg, "missing_ok does not cover") {
		t.Errorf("every match refused: %v (class %s)", err, ops.ClassOf(err))
	}
	signalled, _ := out["signalled"].([]any)
	skipped, _ := out["skipped"].([]any)
	if len(signalled) != 0 || len(skipped) != 1 {
		t.Errorf("every match refused: output %v", out)
	}
	// Without the scope it is signalled, and the outer shell ends with it.
	if _, err := opstest.Execute(r, context.Background(), "process.kill", map[string]any{"cmdline_regex": innerRE}); err != nil {
		t.Error(err)
	}
	gone(t, outer["pid"].(int))
}

// TestDenialDoesNotStutter: a safeguard's refusal is a denial (errors.Is
// ops.ErrDenied, class authorization) whose text does not itself start
// with "denied", since the step's report already says "step s1 denied: ".
func TestDenialDoesNotStutter(t *testing.T) {
	r, _ := newEnv(t, Options{})
	for _, op := range []string{"process.signal", "process.kill"} {
		_, err := opstest.Execute(r, context.Background(), op, map[string]any{"pid": 1})
		if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
			t.Fatalf("%s pid 1: %v, want an authorization refusal", op, err)
		}
		if msg := err.Error(); strings.HasPrefix(strings.ToLower(msg), "denied") || !strings.HasPrefix(msg, "pid 1: ") {
			t.Errorf("%s pid 1: %q, want it to start with the pid, not with \"denied\"", op, msg)
		}
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: sandboxOnly{}})
	_, err := opstest.Execute(r, ctx, "process.start", helper(t, "sleep", marker(t)))
	if !errors.Is(err, ops.ErrDenied) || strings.HasPrefix(err.Error(), "denied") {
		t.Errorf("process.start under a sandbox requirement: %q", err)
	}
}

// TestSignalCheckedAsksAgainOnceOpened: whether pid may be signalled is
// asked again once the process is opened: the process checked before may
// have ended and its pid gone to another, which the answer then refuses.
func TestSignalCheckedAsksAgainOnceOpened(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	asked := false
	err := signalChecked(context.Background(), cmd.Process.Pid, 0, syscall.SIGKILL, func() error {
		asked = true
		return denied("pid %d is another process now", cmd.Process.Pid)
	})
	if !asked || err == nil || !strings.Contains(err.Error(), "another process now") {
		t.Fatalf("signalChecked: asked %v, %v", asked, err)
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the process was signalled: %v", err)
	}
}

// TestSignalOtherUsersProcessSaysWhose: a process of another user, which
// the operating system refuses to let a user other than root signal, is
// said to be that user's, with the way out, not left as a bare EPERM.
func TestSignalOtherUsersProcessSaysWhose(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run the signalling side as another user")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the test binary that user nobody may run.
	dir, err := os.MkdirTemp("", "proc-eperm-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "proc.test")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"ARSENAL_PROC_HELPER=signal-other", "ARSENAL_PROC_TARGET=" + strconv.Itoa(os.Getpid())}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the helper as uid 65534: %v", err)
	}
	u := users{}
	for _, want := range []string{
		fmt.Sprintf("pid %d runs as user %s, and arsenal-run as user %s", os.Getpid(), u.name(0), u.name(65534)),
		"(operation not permitted)",
		fmt.Sprintf("run arsenal-run as %s or as root", u.name(0)),
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("signalling another user's process: %q; want it to hold %q", out, want)
		}
	}
}

// TestSignalNamesAsKillTakesThem: a signal's name is taken in any case,
// with or without SIG, as kill(1) users write it, and the signal sent is
// the one named.
func TestSignalNamesAsKillTakesThem(t *testing.T) {
	r, _ := newEnv(t, Options{})
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for _, sig := range []string{"CONT", "SIGCONT", "cont", "SigCont", "sigterm"} {
		out, err := opstest.Execute(r, context.Background(), "process.signal", map[string]any{"pid": cmd.Process.Pid, "signal": sig})
		if err != nil {
			t.Fatalf("signal %s: %v", sig, err)
		}
		if diff := cmp.Diff([]any{cmd.Process.Pid}, out["signalled"]); diff != "" {
			t.Errorf("signal %s: signalled (-want +got):\n%s", sig, diff)
		}
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("sleep ended with %v, want SIGTERM", err)
	}
}

// TestSignalRefusesWhatStartedTheRunner: the processes arsenal-run
// descends from above its parent (a sudo or tmux whose command line holds
// the run's own words) are refused, as the parent is, and count as the
// runner when a pattern matches them. CONT harms nothing if it is sent.
func TestSignalRefusesWhatStartedTheRunner(t *testing.T) {
	parent, err := process.NewProcess(int32(os.Getppid()))
	if err != nil {
		t.Fatal(err)
	}
	pp, err := parent.Ppid()
	if err != nil {
		t.Fatal(err)
	}
	grand := int(pp)
	if grand <= 1 {
		t.Skipf("the test's parent %d has no parent above pid 1", os.Getppid())
	}
	r, _ := newEnv(t, Options{})
	_, err = opstest.Execute(r, context.Background(), "process.signal", map[string]any{"pid": grand, "signal": "CONT"})
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "started arsenal-run") {
		t.Errorf("pid %d, the parent's parent: %v (class %s), want an authorization refusal saying it started arsenal-run", grand, err, ops.ClassOf(err))
	}
	if !isRunner(grand) {
		t.Errorf("isRunner(%d) = false for the parent's parent", grand)
	}
}

// TestSignalSaysAZombieIsGone: a zombie has exited already, and a signal
// does nothing to it; it is not reported signalled but gone, naming the
// parent that has not reaped it, and missing_ok covers it.
func TestSignalSaysAZombieIsGone(t *testing.T) {
	r, _ := newEnv(t, Options{})
	cmd := exec.Command("sh", "-c", "exit 0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	eventually(t, "the child is a zombie", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return strings.Contains(string(b), ") Z ")
	})
	out, err := opstest.Execute(r, context.Background(), "process.signal", map[string]any{"pid": pid, "signal": "CONT"})
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "is a zombie") ||
		!strings.Contains(err.Error(), fmt.Sprintf("its parent, pid %d", os.Getpid())) {
		t.Errorf("zombie %d: %v (class %s), output %v; want an execution error saying it is a zombie of pid %d", pid, err, ops.ClassOf(err), out, os.Getpid())
	}
	out, err = opstest.Execute(r, context.Background(), "process.kill", map[string]any{"pid": pid, "missing_ok": true})
	if err != nil || len(out["signalled"].([]any)) != 0 || len(out["skipped"].([]any)) != 1 {
		t.Errorf("zombie %d with missing_ok: %v, output %v; want nothing signalled and the zombie skipped", pid, err, out)
	}
}

// TestSignalOthersSaysAnEndedProcessIsGone: under signal_others: false, a
// process this arsenal-run started that has ended since is gone, as it is
// for any role (missing_ok covers it), not a process it never started; and
// a pid given with started_at that now names another process is that
// process ended, not a refusal of the one that took its pid.
func TestSignalOthersSaysAnEndedProcessIsGone(t *testing.T) {
	r, sup := newEnv(t, Options{})
	out, err := opstest.Execute(r, context.Background(), "process.start", map[string]any{"command": []any{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	pid, started := out["pid"].(int), out["started_at"].(string)
	eventually(t, "the process has ended and been reaped", func() bool { return !sup.Started(pid) })
	gone(t, pid)
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: noOthers{}})
	for _, op := range []string{"process.signal", "process.kill"} {
		_, err := opstest.Execute(r, ctx, op, map[string]any{"pid": pid, "started_at": started})
		if errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassExecution || !errors.Is(err, errGone) ||
			!strings.Contains(fmt.Sprint(err), fmt.Sprintf("no process with pid %d", pid)) {
			t.Errorf("%s of an ended process: %v (class %s), want it gone", op, err, ops.ClassOf(err))
		}
		out, err := opstest.Execute(r, ctx, op, map[string]any{"pid": pid, "missing_ok": true})
		if signalled, _ := out["signalled"].([]any); err != nil || len(signalled) != 0 || len(out["skipped"].([]any)) != 1 {
			t.Errorf("%s of an ended process with missing_ok: %v %v, want success with it skipped", op, out, err)
		}
	}
	// A pid that another process took: that one is not what was meant.
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	_, err = opstest.Execute(r, ctx, "process.signal", map[string]any{"pid": cmd.Process.Pid, "started_at": "2001-02-03T04:05:06.789Z", "signal": "CONT"})
	if errors.Is(err, ops.ErrDenied) || !errors.Is(err, errGone) || !strings.Contains(fmt.Sprint(err), "is now another process") {
		t.Errorf("signal of a pid taken by another process: %v, want it said to be another process now", err)
	}
	// Given without started_at, that process is refused as ever.
	_, err = opstest.Execute(r, ctx, "process.signal", map[string]any{"pid": cmd.Process.Pid, "signal": "CONT"})
	if !errors.Is(err, ops.ErrDenied) || !strings.Contains(fmt.Sprint(err), "not started by this arsenal-run") {
		t.Errorf("signal of a process not started here: %v, want it refused", err)
	}
}

// TestSignalStartedAtToTheSecond: a started_at without its milliseconds
// (written by hand, or from a tool that shows seconds) of a process that
// started within that second does not say the process has ended: it is
// the param to give again as process.list writes it.
func TestSignalStartedAtToTheSecond(t *testing.T) {
	r, _ := newEnv(t, Options{})
	var out map[string]any
	for out == nil || strings.HasSuffix(out["started_at"].(string), ".000Z") {
		var err error
		if out, err = opstest.Execute(r, context.Background(), "process.start", helper(t, "sleep", marker(t))); err != nil {
			t.Fatal(err)
		}
		pid := out["pid"].(int)
		defer func() { syscall.Kill(pid, syscall.SIGKILL); gone(t, pid) }()
	}
	at, _ := time.Parse(time.RFC3339Nano, out["started_at"].(string))
	second := at.Truncate(time.Second).Format(time.RFC3339)
	for _, op := range []string{"process.signal", "process.kill"} {
		_, err := opstest.Execute(r, context.Background(), op, map[string]any{"pid": out["pid"], "started_at": second})
		var pe *ops.ParamError
		if ops.ClassOf(err) != ops.ClassValidation || !errors.As(err, &pe) || pe.Param != "started_at" ||
			!strings.Contains(err.Error(), out["started_at"].(string)) || strings.Contains(err.Error(), "another process") {
			t.Errorf("%s with started_at %s: %v (class %s), want the param named with the time to give", op, second, err, ops.ClassOf(err))
		}
	}
	if err := syscall.Kill(out["pid"].(int), 0); err != nil {
		t.Errorf("the process was killed: %v", err)
	}
}
