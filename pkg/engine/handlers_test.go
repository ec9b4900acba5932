package engine

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/shell"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestHandlerBudgetOnlyAfterCancel checks that the handler budget bounds
// on_failure and finally only once the run is cancelled: in a normal run a
// cleanup longer than the budget completes, after a cancellation it is cut.
func TestHandlerBudgetOnlyAfterCancel(t *testing.T) {
	e, _ := newEngine(t, WithHandlerBudget(100*time.Millisecond))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: control.noop}
finally:
  - {id: cleanup, op: control.sleep, with: {duration: 600ms}}
`), nil)
	if rep.Status != report.StatusSucceeded || statuses(rep)["cleanup"] != report.StatusSucceeded {
		t.Errorf("normal run: %s, cleanup %s %+v", rep.Status, statuses(rep)["cleanup"], stepOf(t, rep, "cleanup").Error)
	}

	p := plan(t, e, header+`
steps:
  - {id: a, op: control.sleep, with: {duration: 1m}}
finally:
  - {id: cleanup, op: control.sleep, with: {duration: 1m}}
`)
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(50*time.Millisecond, func() { cancel(errors.New("interrupted by SIGINT")) })
	start := time.Now()
	rep, err := p.Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("a cancelled run's finally took %s with a 100ms budget", d)
	}
	c := stepOf(t, rep, "cleanup")
	if rep.Status != report.StatusCancelled || c.Status != report.StatusFailed || c.Error == nil || !strings.Contains(c.Error.Message, "handler budget of 100ms exceeded") {
		t.Errorf("cancelled run: %s, cleanup %s %+v", rep.Status, c.Status, c.Error)
	}
}

// TestSignalDuringFinally checks that a cancellation that arrives while
// finally runs is not dropped: the handler completes within its budget and
// the run ends cancelled.
func TestSignalDuringFinally(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - {id: a, op: control.noop}
finally:
  - {id: cleanup, op: control.sleep, with: {duration: 500ms}}
  - {id: after, op: control.noop}
`)
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(150*time.Millisecond, func() { cancel(ops.WithClass(ops.ClassCancelled, errors.New("interrupted by SIGINT"))) })
	rep, err := p.Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := statuses(rep)
	if got["cleanup"] != report.StatusSucceeded || got["after"] != report.StatusSucceeded {
		t.Errorf("handlers did not get their budget: %v", got)
	}
	if rep.Status != report.StatusCancelled || rep.Error == nil || rep.Error.Class != "cancelled" || !strings.Contains(rep.Error.Message, "interrupted by SIGINT") {
		t.Errorf("run %s %+v, want cancelled", rep.Status, rep.Error)
	}
}

// alive reports whether pid is a process that has not exited (a zombie
// counts as exited).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// TestSubRunTimeoutBoundsItsHandlers checks that a playbook.run step's
// timeout bounds the sub-run's finally too: the step ends near its timeout
// instead of being abandoned, the sub-run's record is in the report, and
// the finally's processes are gone when the run returns.
func TestSubRunTimeoutBoundsItsHandlers(t *testing.T) {
	to := newTestOps()
	t.Cleanup(func() { close(to.release) })
	reg := registry(t, to.register, func(r *ops.Registry) {
		if err := shell.Register(r, nil); err != nil {
			t.Fatal(err)
		}
	})
	e := New(reg, WithGrace(5*time.Second))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	os.WriteFile(filepath.Join(dir, "child.yaml"), []byte(`version: 1
name: child
steps:
  - {id: quick, op: control.noop}
finally:
  - id: slow_cleanup
    op: shell.exec
    with: {command: [sh, -c, 'echo $$ > `+pids+`; sleep 300 & echo $! >> `+pids+`; wait']}
`), 0o644)
	parent := filepath.Join(dir, "parent.yaml")
	os.WriteFile(parent, []byte(`version: 1
name: parent
steps:
  - {id: sub, op: playbook.run, with: {path: child.yaml}, timeout: 500ms}
`), 0o644)
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep := mustRun(t, p, nil)
	took := time.Since(start)
	sub := stepOf(t, rep, "sub")
	// Had the timeout not bounded the finally, the step would have waited
	// for its sleep: far longer than a busy machine adds to 500ms.
	if took > 60*time.Second || sub.Abandoned {
		t.Errorf("the step took %s (abandoned %v) with a 500ms timeout and a finally that sleeps 5 minutes", took, sub.Abandoned)
	}
	if sub.Status != report.StatusFailed || sub.Error == nil || sub.Error.Class != "timeout" {
		t.Errorf("step: %s %+v", sub.Status, sub.Error)
	}
	if sub.Sub == nil || sub.Sub.Playbook.Name != "child" || len(sub.Sub.Steps) != 2 {
		t.Fatalf("the sub-run's record is missing: %+v", sub.Sub)
	}
	if c := sub.Sub.Steps[1]; c.ID != "slow_cleanup" || c.Status == report.StatusSucceeded || c.Error == nil {
		t.Errorf("child finally: %s %s %+v", c.ID, c.Status, c.Error)
	}
	b, err := os.ReadFile(pids)
	if errors.Is(err, fs.ErrNotExist) {
		// A machine slow enough that the 500ms ran out before the
		// finally's shell had written its pid: the finally was cut (as
		// checked above) before the shell started any process.
		t.Logf("the 500ms ran out before the child's finally started its process: %+v", sub.Sub.Steps[1].Error)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		deadline := time.Now().Add(5 * time.Second)
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d of the child's finally outlived the run", pid)
		}
	}
}

// TestPlaybookTimeoutDuringFinally checks that a playbook timeout that runs
// out while finally runs fails the run with class timeout, and gives the
// handler the budget rather than cutting it.
func TestPlaybookTimeoutDuringFinally(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
timeout: 200ms
steps:
  - {id: a, op: control.noop}
finally:
  - {id: cleanup, op: control.sleep, with: {duration: 500ms}}
`), nil)
	if c := stepOf(t, rep, "cleanup"); c.Status != report.StatusSucceeded {
		t.Errorf("cleanup %s %+v", c.Status, c.Error)
	}
	if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "timeout" || !strings.Contains(rep.Error.Message, "playbook timeout of 200ms exceeded") {
		t.Errorf("run %s %+v", rep.Status, rep.Error)
	}
}

// TestPlaybookTimeoutThenHandlerFails checks that a playbook timeout that
// runs out while the handlers of a run whose steps succeeded run is the
// run's error, class timeout, when a handler step then fails too: the
// failure is told after it. The sleep outlasts the timeout, which starts
// before it, by far: the timeout's cancel runs in a goroutine of its own,
// which a loaded machine may start late.
func TestPlaybookTimeoutThenHandlerFails(t *testing.T) {
	for _, sec := range []string{"on_success", "finally"} {
		t.Run(sec, func(t *testing.T) {
			e, _ := newEngine(t)
			rep := mustRun(t, plan(t, e, header+`
timeout: 100ms
steps:
  - {id: a, op: control.noop}
`+sec+`:
  - {id: slow, op: control.sleep, with: {duration: 1s}}
  - {id: bad, op: control.fail, with: {message: cleanup broke}}
`), nil)
			want := "playbook timeout of 100ms exceeded; also step bad failed: cleanup broke"
			if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "timeout" || rep.Error.Message != want {
				t.Errorf("run %s %+v, want class timeout and %q", rep.Status, rep.Error, want)
			}
		})
	}
}

// TestFinallySeesOnSuccessFailure checks that a failing on_success step,
// which fails the run, is what finally sees: run.status is failed and
// run.failed_steps names the step, and on_failure says why it was skipped.
func TestFinallySeesOnSuccessFailure(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: deploy, op: control.noop}
on_success:
  - {id: smoke, op: control.fail, with: {message: smoke failed}}
on_failure:
  - {id: page, op: control.noop}
finally:
  - {id: seen, op: control.set, with: {status: "${{ run.status }}", failed: "${{ run.failed_steps }}"}}
  - {id: rollback, op: control.noop, when: run.status != "succeeded"}
`), nil)
	if rep.Status != report.StatusFailed {
		t.Errorf("run %s, want failed", rep.Status)
	}
	want := map[string]any{"status": "failed", "failed": []any{"smoke"}}
	if diff := cmp.Diff(want, stepOf(t, rep, "seen").Output); diff != "" {
		t.Errorf("what finally sees (-want +got):\n%s", diff)
	}
	if s := stepOf(t, rep, "rollback"); s.Status != report.StatusSucceeded {
		t.Errorf("rollback %s (%s), want succeeded", s.Status, s.Reason)
	}
	if s := stepOf(t, rep, "page"); s.Status != report.StatusSkipped || s.Reason != "the steps succeeded; on_success failed the run" {
		t.Errorf("on_failure: %s %q", s.Status, s.Reason)
	}
}

// TestSignalDuringFinallyKeepsItsFailure: a cancellation that arrives
// while finally runs ends the run cancelled, and a finally step that then
// fails is told after the cause, as with a playbook timeout, not lost.
func TestSignalDuringFinallyKeepsItsFailure(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - {id: a, op: control.noop}
finally:
  - {id: cleanup, op: control.sleep, with: {duration: 500ms}}
  - {id: bad, op: control.fail, with: {message: cleanup broke}}
`)
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(150*time.Millisecond, func() { cancel(ops.WithClass(ops.ClassCancelled, errors.New("interrupted by SIGINT"))) })
	rep, err := p.Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "interrupted by SIGINT; also step bad failed: cleanup broke"
	if rep.Status != report.StatusCancelled || rep.Error == nil || rep.Error.Class != "cancelled" || rep.Error.Message != want {
		t.Errorf("run %s %+v, want cancelled and %q", rep.Status, rep.Error, want)
	}
}
