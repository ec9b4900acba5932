package runs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/ops/shell"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

func TestMain(m *testing.M) {
	shell.MaybeRunSandboxHelper()
	goleak.VerifyTestMain(m)
}

func newRegistry(t testing.TB) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := builtin.Register(r, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterPlaybookOp(engine.New(r)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// writePlaybook writes a playbook into a temp dir and returns its path.
func writePlaybook(t testing.TB, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pb.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func newManager(t testing.TB, cfg Config, l Limits) *Manager {
	t.Helper()
	if cfg.Registry == nil {
		cfg.Registry = newRegistry(t)
	}
	svc, err := NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(svc, l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		svc.Close()
	})
	return m
}

const sleeper = `version: 1
name: sleeper
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
finally:
  - {id: tidy, op: control.log, with: {message: tidied}}
`

func wait(t *testing.T, h *Handle) *report.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := h.Wait(ctx)
	if err != nil {
		// Say how far the run got, so that a run that hangs on a loaded
		// machine can be told from one that is only slow.
		if snap := h.Snapshot(); snap != nil {
			b, _ := json.Marshal(snap)
			t.Logf("the run so far: %s", b)
		}
		t.Fatalf("run %s: %v", h.ID(), err)
	}
	return rep
}

// waitRunning waits until the run's first step started.
func waitRunning(t *testing.T, h *Handle) {
	t.Helper()
	sub := h.Events().Subscribe(0)
	defer sub.Cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		ev, ok := sub.Next(ctx)
		if !ok {
			t.Fatalf("run %s ended or timed out before a step started", h.ID())
		}
		if ev.Kind == engine.EventStepStarted {
			return
		}
	}
}

func TestManagerLimitsQueueThenRefuse(t *testing.T) {
	m := newManager(t, Config{}, Limits{MaxRunning: 2, MaxQueued: 1})
	path := writePlaybook(t, sleeper)
	ctx := context.Background()
	var hs []*Handle
	for i := 0; i < 3; i++ {
		h, err := m.Start(ctx, Request{Path: path})
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		hs = append(hs, h)
	}
	waitRunning(t, hs[0])
	waitRunning(t, hs[1])
	if got := hs[2].State(); got != StateQueued {
		t.Errorf("third run is %s, want queued", got)
	}
	if n := m.Queued(); n != 1 {
		t.Errorf("Queued() = %d, want 1", n)
	}
	if _, err := m.Start(ctx, Request{Path: path}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("fourth start: %v, want ErrQueueFull", err)
	}
	if got := len(m.Active()); got != 3 {
		t.Errorf("Active() has %d runs, want 3", got)
	}
	hs[0].Cancel(nil)
	waitRunning(t, hs[2]) // the queued run takes the freed slot
	for _, h := range hs[1:] {
		h.Cancel(nil)
	}
	for _, h := range hs {
		if rep := wait(t, h); rep.Status != report.StatusCancelled {
			t.Errorf("run %s ended %s, want cancelled", h.ID(), rep.Status)
		}
	}
}

func TestManagerShutdownCancelsRunsAfterGrace(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Config{StateDir: dir}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, sleeper)})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := m.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the grace to run out", err)
	}
	rep := h.Report()
	if rep == nil {
		t.Fatal("Shutdown returned before the run ended")
	}
	got := map[string]report.Status{}
	for _, st := range rep.Steps {
		got[st.ID] = st.Status
	}
	want := map[string]report.Status{"nap": report.StatusCancelled, "tidy": report.StatusSucceeded}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step statuses (-want +got):\n%s", diff)
	}
	run, err := m.Service().History().Get(context.Background(), h.ID())
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != report.StatusCancelled {
		t.Errorf("history says %s, want cancelled", run.Status)
	}
	// The run was running: its error says the grace ran out, not that no
	// new runs are accepted.
	if rep.Error == nil || rep.Error.Message != "the service stopped while the run was going" {
		t.Errorf("the cancelled run's error: %+v", rep.Error)
	}
	if _, err := m.Start(context.Background(), Request{Path: writePlaybook(t, sleeper)}); !errors.Is(err, ErrShuttingDown) {
		t.Errorf("Start after Shutdown = %v, want ErrShuttingDown", err)
	}
}

func TestManagerCancelByID(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, sleeper)})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h)
	got, ok := m.Get(h.ID())
	if !ok {
		t.Fatalf("Get(%s) found nothing", h.ID())
	}
	got.Cancel(errors.New("operator asked"))
	rep := wait(t, h)
	if rep.Status != report.StatusCancelled {
		t.Errorf("status %s, want cancelled", rep.Status)
	}
	if h.Status() != string(report.StatusCancelled) {
		t.Errorf("handle status %s, want cancelled", h.Status())
	}
	if _, ok := m.Get("no-such-run"); ok {
		t.Error("Get found a run that does not exist")
	}
}

func TestManagerCancelBeforeStartNeverRuns(t *testing.T) {
	m := newManager(t, Config{}, Limits{MaxRunning: 1, MaxQueued: 1})
	path := writePlaybook(t, sleeper)
	first, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, first)
	queued, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	queued.Cancel(nil)
	first.Cancel(nil)
	rep := wait(t, queued)
	if rep.Status != report.StatusCancelled {
		t.Errorf("queued run ended %s, want cancelled", rep.Status)
	}
	for _, st := range rep.Steps {
		if st.Attempts > 0 {
			t.Errorf("step %s of a run cancelled while queued ran", st.ID)
		}
	}
}

// An allow-list hides the service's other variables from expressions and
// from the processes steps start.
func TestManagerEnvironmentAllowList(t *testing.T) {
	host := MapEnv{"VISIBLE": "shown", "SERVER_SECRET": "hunter2", "PATH": os.Getenv("PATH")}
	m := newManager(t, Config{Env: AllowEnv{From: host, Names: []string{"VISIBLE", "PATH"}}}, Limits{})
	out := filepath.Join(t.TempDir(), "env.txt")
	path := writePlaybook(t, `version: 1
name: envcheck
steps:
  - id: expr
    op: control.set
    with:
      visible: "${{ 'VISIBLE' in env ? env.VISIBLE : 'unset' }}"
      secret: "${{ 'SERVER_SECRET' in env ? env.SERVER_SECRET : 'unset' }}"
  - id: proc
    op: shell.exec
    with:
      script: env > "$OUT"
    env: {OUT: `+out+`}
`)
	h, err := m.Start(context.Background(), Request{Path: path, Caller: Caller{Roles: []string{"admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s: %+v", rep.Status, rep.Error)
	}
	want := map[string]any{"visible": "shown", "secret": "unset"}
	if diff := cmp.Diff(want, rep.Steps[0].Output); diff != "" {
		t.Errorf("expression env (-want +got):\n%s", diff)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		k, _, _ := strings.Cut(sc.Text(), "=")
		vars[k] = true
	}
	if !vars["VISIBLE"] || vars["SERVER_SECRET"] {
		t.Errorf("the shell step saw %v; want VISIBLE and not SERVER_SECRET", data)
	}
}

// An allow-list none of whose names is set gives the steps an empty
// environment, not the service's whole one (serve with no
// --env-passthrough).
func TestManagerEnvironmentAllowListOfNothingSet(t *testing.T) {
	t.Setenv("ARSENAL_TEST_SERVER_SECRET", "hunter2")
	m := newManager(t, Config{Env: AllowEnv{Names: []string{"ARSENAL_TEST_NOT_SET_ANYWHERE"}}}, Limits{})
	out := filepath.Join(t.TempDir(), "env.txt")
	path := writePlaybook(t, `version: 1
name: envcheck
steps:
  - id: proc
    op: shell.exec
    with:
      script: env > "$OUT"
    env: {OUT: `+out+`}
`)
	h, err := m.Start(context.Background(), Request{Path: path, Caller: Caller{Roles: []string{"admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep := wait(t, h); rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s: %+v", rep.Status, rep.Error)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "ARSENAL_TEST_SERVER_SECRET") {
		t.Errorf("the shell step saw the service's environment:\n%s", data)
	}
}

// ExecuteOp denies, audits and masks as a one-step playbook does.
func TestExecuteOpMatchesOneStepPlaybook(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Config{StateDir: dir}, Limits{})
	ctx := context.Background()

	denied, err := m.ExecuteOp(ctx, OpRequest{Op: "shell.exec", Params: map[string]any{"command": []any{"true"}}, Caller: Caller{Roles: []string{"viewer"}}})
	if err != nil {
		t.Fatal(err)
	}
	if denied.Status != report.StatusDenied || denied.Authorization == nil || denied.Authorization.Allowed {
		t.Errorf("viewer ran shell.exec: %+v", denied)
	}

	ok, err := m.ExecuteOp(ctx, OpRequest{Op: "control.set", Params: map[string]any{"greeting": "${{ 1 + 1 }}"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"greeting": "${{ 1 + 1 }}"}, ok.Output); diff != "" {
		t.Errorf("params were interpolated (-want +got):\n%s", diff)
	}
	run, err := m.Service().History().Get(ctx, ok.RunID)
	if err != nil {
		t.Fatalf("the execute is not in history: %v", err)
	}
	if run.Status != report.StatusSucceeded {
		t.Errorf("history status %s", run.Status)
	}

	_, err = m.ExecuteOp(ctx, OpRequest{Op: "control.sleep", Params: map[string]any{"duration": "forever"}})
	var pe *PrepareError
	if !errors.As(err, &pe) || pe.Field != "params" {
		t.Fatalf("bad param: %v, want a params PrepareError", err)
	}
	var pes ops.ParamErrors
	if !errors.As(err, &pes) || pes[0].Param != "duration" {
		t.Errorf("the error does not name the param: %v", err)
	}
	if _, err := m.ExecuteOp(ctx, OpRequest{Op: "control.nope"}); !errors.As(err, &pe) {
		t.Errorf("unknown op: %v", err)
	}
}

func TestExecuteOpAuditsAndMasks(t *testing.T) {
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.jsonl")
	audit, err := auth.OpenAudit(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	m := newManager(t, Config{Audit: audit}, Limits{})
	res, err := m.ExecuteOp(context.Background(), OpRequest{Op: "control.fail", Params: map[string]any{"message": "boom"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != report.StatusFailed || res.Error == nil || res.Error.Class != string(ops.ClassExecution) {
		t.Errorf("control.fail: %+v", res)
	}
	audit.Close()
	data, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(string(data), "\n", 2)[0]), &line); err != nil {
		t.Fatalf("audit line: %v in %q", err, data)
	}
	if line["op"] != "control.fail" || line["run_id"] != res.RunID {
		t.Errorf("audit line %v does not record the execute", line)
	}
}

func TestHistoryRecordsStepsWhileRunning(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Config{StateDir: dir}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, `version: 1
name: live
steps:
  - {id: one, op: control.noop}
  - {id: two, op: control.noop}
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`)})
	if err != nil {
		t.Fatal(err)
	}
	store := m.Service().History()
	deadline := time.Now().Add(20 * time.Second)
	for {
		steps, err := store.Steps(context.Background(), h.ID())
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range steps {
			ids = append(ids, s.StepID)
		}
		if strings.Join(ids, ",") == "one,two" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history has steps %v while the run goes on, want one,two", ids)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.Cancel(nil)
	wait(t, h)
	var _ = history.StatusRunning
}

// TestAChangeWaitsForItsRunInHistory: a run's start goes to the history
// without the run waiting for it, but an operation that may change
// something runs only once the run is in the history, so that a process
// that dies mid-change leaves its run there (interrupted); a run that only
// reads is written once, at its end.
func TestAChangeWaitsForItsRunInHistory(t *testing.T) {
	reg := newRegistry(t)
	var m *Manager
	seen := make(chan string, 1)
	reg.MustRegister(ops.Spec{Name: "test.change", Risk: ops.RiskWrite}, ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
		run, err := m.Service().History().Get(ctx, ops.CallFrom(ctx).RunID)
		if err != nil {
			seen <- err.Error()
		} else {
			seen <- string(run.Status)
		}
		return map[string]any{}, nil
	}))
	m = newManager(t, Config{Registry: reg, StateDir: t.TempDir()}, Limits{})
	for i := range 20 {
		h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, "version: 1\nname: change\nsteps:\n  - {id: look, op: control.noop}\n  - {id: change, op: test.change}\n")})
		if err != nil {
			t.Fatal(err)
		}
		if got := <-seen; got != string(history.StatusRunning) {
			t.Fatalf("run %d: the change ran while the history had: %s; want the run, running", i, got)
		}
		wait(t, h)
		if run, err := m.Service().History().Get(context.Background(), h.ID()); err != nil || run.Status != report.StatusSucceeded {
			t.Fatalf("run %d at its end: %s, %v", i, run.Status, err)
		}
	}
}

// A run withdrawn while it waits for a run slot never starts and is not
// recorded; a running run cannot be withdrawn.
func TestManagerWithdrawQueuedRun(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{MaxRunning: 1, MaxQueued: 1})
	path := writePlaybook(t, sleeper)
	first, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, first)
	queued, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Started(first):
	default:
		t.Error("Started of the running run is not closed")
	}
	if m.Withdraw(first) {
		t.Error("Withdraw took back a running run")
	}
	started := m.Started(queued)
	if !m.Withdraw(queued) {
		t.Fatal("Withdraw did not take back the queued run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := queued.Wait(ctx); !errors.Is(err, ErrWithdrawn) {
		t.Errorf("the withdrawn run's Wait = %v, want ErrWithdrawn", err)
	}
	select {
	case <-started:
		t.Error("Started of the withdrawn run is closed")
	default:
	}
	first.Cancel(nil)
	wait(t, first)
	if _, err := m.Service().History().Get(context.Background(), queued.ID()); err == nil {
		t.Error("the withdrawn run is in the history")
	}
}

// TestWithdrawRacingCancel: a waiting run cancelled and withdrawn at once
// ends one way only: withdrawn (unrecorded) when Withdraw says it took it
// back, else as cancelled, recorded.
func TestWithdrawRacingCancel(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{MaxRunning: 1, MaxQueued: 1})
	path := writePlaybook(t, sleeper)
	first, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, first)
	defer func() { first.Cancel(nil); wait(t, first) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 30 {
		queued, err := m.Start(context.Background(), Request{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		queued.Cancel(nil)
		took := m.Withdraw(queued)
		rep, err := queued.Wait(ctx)
		_, gerr := m.Service().History().Get(context.Background(), queued.ID())
		switch {
		case took && (!errors.Is(err, ErrWithdrawn) || gerr == nil):
			t.Fatalf("try %d: Withdraw took it back, but Wait = %v and the history has it: %v", i, err, gerr == nil)
		case !took && (err != nil || rep == nil || rep.Status != report.StatusCancelled || gerr != nil):
			t.Fatalf("try %d: not withdrawn, but Wait = %v, %v, history %v", i, rep, err, gerr)
		}
	}
}

// TestOneCallerHoldsHalfTheWaitingPlaces: one API key's long runs fill at
// most half the places to wait in; another caller still gets one.
func TestOneCallerHoldsHalfTheWaitingPlaces(t *testing.T) {
	m := newManager(t, Config{}, Limits{MaxRunning: 1, MaxQueued: 4})
	path := writePlaybook(t, sleeper)
	ctx := context.Background()
	viewer := Caller{Name: "view", Roles: []string{"viewer"}, Trigger: TriggerAPI}
	var hs []*Handle
	for i := 0; i < 3; i++ { // one runs, two wait: half of four
		h, err := m.Start(ctx, Request{Path: path, Caller: viewer})
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		hs = append(hs, h)
	}
	if _, err := m.Start(ctx, Request{Path: path, Caller: viewer}); !errors.Is(err, ErrQueueFull) || !strings.Contains(err.Error(), "view holds 2 of the 4 places to wait in") {
		t.Errorf("the viewer's third waiting run: %v, want ErrQueueFull naming its share", err)
	}
	admin := Caller{Name: "adm", Roles: []string{"admin"}, Trigger: TriggerAPI}
	h, err := m.Start(ctx, Request{Path: path, Caller: admin})
	if err != nil {
		t.Fatalf("another caller: %v", err)
	}
	hs = append(hs, h)
	for _, h := range hs {
		h.Cancel(nil)
		wait(t, h)
	}
}
