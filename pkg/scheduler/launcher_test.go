package scheduler

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// runHarness is a Scheduler on a fake clock whose runs are real: a
// RunLauncher over a runs.Manager, recording in the same state dir the
// scheduler keeps its slots in, as `schedule` wires them.
type runHarness struct {
	*harness
	reg      *ops.Registry
	mgr      *runs.Manager
	launcher *RunLauncher
	pbDir    string

	mu      sync.Mutex
	watched []string // run ids given to Watch
}

func newRunHarness(t *testing.T, start time.Time, roles []string, tweak ...func(*Config)) *runHarness {
	t.Helper()
	return newRunHarnessMax(t, start, roles, 4, tweak...)
}

// newRunHarnessMax is newRunHarness whose manager runs at most maxRunning
// runs at once, as --max-concurrent-runs sets it.
func newRunHarnessMax(t *testing.T, start time.Time, roles []string, maxRunning int, tweak ...func(*Config)) *runHarness {
	t.Helper()
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: t.TempDir(), clock: NewFakeClock(start), logs: &syncBuffer{}}
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: h.dir})
	if err != nil {
		t.Fatal(err)
	}
	mgr := runs.NewManager(svc, runs.Limits{MaxRunning: maxRunning})
	rh := &runHarness{harness: h, reg: reg, mgr: mgr, launcher: NewRunLauncher(mgr, roles, nil), pbDir: t.TempDir()}
	rh.launcher.Watch = func(job Job, run *runs.Handle) <-chan struct{} {
		rh.mu.Lock()
		rh.watched = append(rh.watched, run.ID())
		rh.mu.Unlock()
		return nil
	}
	// Cleanups run last first: the manager's runs end before the service
	// and the registry close.
	t.Cleanup(func() { reg.Close() })
	t.Cleanup(func() { svc.Close() })
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := mgr.Shutdown(ctx); err != nil {
			t.Errorf("manager shutdown: %v", err)
		}
	})
	h.cfg = Config{Launcher: rh.launcher, Clock: h.clock}
	for _, f := range tweak {
		f(&h.cfg)
	}
	h.open()
	return rh
}

// playbook writes a scheduled playbook and loads it as `schedule` does.
func (rh *runHarness) playbook(name, cron, body string) *steps.Playbook {
	rh.t.Helper()
	path := filepath.Join(rh.pbDir, name+".yaml")
	text := "version: 1\nname: " + name + "\nschedule: {cron: \"" + cron + "\"}\n" + body
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		rh.t.Fatal(err)
	}
	pb, err := steps.Load(path, rh.reg)
	if err != nil {
		rh.t.Fatal(err)
	}
	return pb
}

// settle waits until no run of the scheduler is going (real runs end on
// their own time) and the scheduler has taken in their ends.
func (rh *runHarness) settle() {
	rh.t.Helper()
	waitFor(rh.t, "the runs to end", func() bool { return rh.s.running() == 0 })
	rh.quiesce()
}

// row is a history row as these tests compare it.
type row struct {
	Playbook  string
	Status    report.Status
	Trigger   history.Trigger
	Slot      string
	BlockedBy string
}

// rows returns the history's rows, by slot.
func (rh *runHarness) rows() []row {
	rh.t.Helper()
	list, err := rh.mgr.Service().History().List(context.Background(), history.Filter{Limit: 100})
	if err != nil {
		rh.t.Fatal(err)
	}
	var out []row
	for _, r := range list {
		rw := row{Playbook: r.Playbook, Status: r.Status, Trigger: r.Trigger, BlockedBy: r.BlockedBy}
		if r.Slot != nil {
			rw.Slot = r.Slot.UTC().Format(time.RFC3339)
		}
		out = append(out, rw)
	}
	// By slot: skipped rows carry the fake clock's time, runs the real one.
	sort.Slice(out, func(i, j int) bool { return out[i].Slot < out[j].Slot })
	return out
}

const noopSteps = "steps:\n  - {id: a, op: control.noop}\nfinally:\n  - {id: z, op: control.noop}\n"

const sleepSteps = "steps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\nfinally:\n  - {id: tidy, op: control.log, with: {message: tidied}}\n"

// TestRunLauncherRecordsScheduledRuns: slots fired through the run
// service become ordinary recorded runs whose history rows say trigger
// schedule and carry their slot; each run is given to Watch; the step
// histogram counts the steps from the runs' events.
func TestRunLauncherRecordsScheduledRuns(t *testing.T) {
	rh := newRunHarness(t, t10.Add(-time.Second), []string{auth.RoleOperator})
	steps, err := NewStepMetrics(rh.s.Registry())
	if err != nil {
		t.Fatal(err)
	}
	var follow sync.WaitGroup
	rh.launcher.Watch = func(job Job, h *runs.Handle) <-chan struct{} {
		rh.mu.Lock()
		rh.watched = append(rh.watched, h.ID())
		rh.mu.Unlock()
		follow.Add(1)
		done := h.Events().Observe(steps, nil)
		go func() { defer follow.Done(); <-done }()
		return nil
	}
	rh.load(rh.playbook("tick", "@every 1m", noopSteps))
	for range 3 {
		rh.run(time.Minute)
		rh.settle()
	}
	follow.Wait()
	want := []row{
		{"tick", report.StatusSucceeded, history.TriggerSchedule, "2026-06-01T10:00:00Z", ""},
		{"tick", report.StatusSucceeded, history.TriggerSchedule, "2026-06-01T10:01:00Z", ""},
		{"tick", report.StatusSucceeded, history.TriggerSchedule, "2026-06-01T10:02:00Z", ""},
	}
	if diff := cmp.Diff(want, rh.rows()); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	list, _ := rh.mgr.Service().History().List(context.Background(), history.Filter{Limit: 10})
	rh.mu.Lock()
	watched := rh.watched
	rh.mu.Unlock()
	if len(watched) != 3 || len(list) != 3 {
		t.Fatalf("watched %v, history %d runs", watched, len(list))
	}
	host, _ := os.Hostname()
	for _, r := range list {
		h, ok := rh.mgr.Get(r.ID)
		// From is the host, so that the audit lines of schedulers on
		// several hosts, shipped to one place, tell whose ran a step.
		if !ok || h.Caller().Name != CallerName || h.Caller().From != host || h.Trigger() != runs.TriggerSchedule || !cmp.Equal(h.Caller().Roles, []string{auth.RoleOperator}) {
			t.Errorf("run %s: found %v, caller %+v", r.ID, ok, h.Caller())
		}
	}
	if got := metricValue(t, rh.s, "arsenal_schedule_runs_total", "tick"); got != 3 {
		t.Errorf("runs_total = %v, want 3", got)
	}
	if got := histogramCount(t, rh.s.Registry(), "arsenal_schedule_step_duration_seconds", "op", "control.noop"); got != 6 {
		t.Errorf("step duration histogram counted %d control.noop steps, want 6 (two per run)", got)
	}
}

// TestRunLauncherOverlapSkipNamesTheRealRun: a run of the service that is
// still going blocks the next slot, which is recorded skipped with that
// run's id.
func TestRunLauncherOverlapSkipNamesTheRealRun(t *testing.T) {
	rh := newRunHarness(t, t10.Add(-time.Second), nil)
	rh.load(rh.playbook("slow", "@every 1m", sleepSteps))
	rh.run(time.Second) // 10:00 fires
	var id string
	waitFor(t, "the run to start", func() bool {
		list, _ := rh.mgr.Service().History().List(context.Background(), history.Filter{Limit: 1})
		if len(list) == 1 {
			id = list[0].ID
		}
		return id != ""
	})
	rh.run(time.Minute) // 10:01 is skipped
	want := []string{"2026-06-01T10:00:00Z fired", "2026-06-01T10:01:00Z skipped " + id}
	if diff := cmp.Diff(want, rh.slots("slow")); diff != "" {
		t.Errorf("slots (-want +got):\n%s", diff)
	}
	h, ok := rh.mgr.Get(id)
	if !ok {
		t.Fatalf("run %s not found", id)
	}
	h.Cancel(errors.New("test over"))
	rh.settle()
	got := rh.rows()
	if len(got) != 2 || got[0].Status != report.StatusCancelled || got[1] != (row{"slow", report.StatusSkipped, history.TriggerSchedule, "2026-06-01T10:01:00Z", id}) {
		t.Errorf("history: %+v", got)
	}
}

// TestRunLauncherShutdownCancelsAfterGrace: Run's shutdown waits the grace
// (on the fake clock) for a real run, then cancels it: its finally step
// runs, and the history says cancelled, with the scheduler's cause.
func TestRunLauncherShutdownCancelsAfterGrace(t *testing.T) {
	rh := newRunHarness(t, t10.Add(-30*time.Second), nil, func(c *Config) { c.Grace = 20 * time.Second })
	rh.load(rh.playbook("slow", "@every 1m", sleepSteps))
	stop := rh.startLoop()
	rh.loopStep(30 * time.Second) // 10:00 fires
	var h *runs.Handle
	waitFor(t, "the run to be admitted", func() bool {
		if a := rh.mgr.Active(); len(a) == 1 {
			h = a[0]
		}
		return h != nil
	})
	returned := make(chan error, 1)
	go func() { returned <- stop() }()
	waitFor(t, "the grace timer", func() bool {
		ts := rh.clock.Timers()
		return len(ts) == 1 && ts[0] == 20*time.Second
	})
	rh.clock.Advance(19 * time.Second)
	time.Sleep(50 * time.Millisecond)
	if st := h.State(); st == runs.StateEnded {
		t.Fatal("the run ended before the grace period was over")
	}
	rh.clock.Advance(time.Second)
	select {
	case err := <-returned:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the grace period")
	}
	rep := h.Report()
	if rep == nil {
		t.Fatal("Run returned before the run ended")
	}
	got := map[string]report.Status{}
	for _, st := range rep.Steps {
		got[st.ID] = st.Status
	}
	if diff := cmp.Diff(map[string]report.Status{"nap": report.StatusCancelled, "tidy": report.StatusSucceeded}, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if rep.Status != report.StatusCancelled || rep.Error == nil || !strings.Contains(rep.Error.Message, ErrShutdown.Error()) {
		t.Errorf("report: %s %+v", rep.Status, rep.Error)
	}
	if diff := cmp.Diff([]row{{"slow", report.StatusCancelled, history.TriggerSchedule, "2026-06-01T10:00:00Z", ""}}, rh.rows()); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// TestRunLauncherRolesAndPolicy: scheduled runs carry the launcher's
// roles, never the playbook's choice: a viewer's write step is denied at
// the run's preflight (a recorded, failed run); SetPolicy changes the
// policy of the runs launched after it.
func TestRunLauncherRolesAndPolicy(t *testing.T) {
	rh := newRunHarness(t, t10.Add(-time.Second), []string{auth.RoleViewer})
	out := filepath.Join(rh.pbDir, "out.txt")
	rh.load(rh.playbook("put", "@every 1m", "steps:\n  - {id: w, op: file.write, with: {path: "+out+", content: x}}\n"))
	rh.run(time.Second)
	rh.settle()
	policy, err := auth.ParsePolicy("p.yaml", []byte("version: 1\nroles:\n  viewer:\n    allow: [\"file.write\"]\n"), rh.reg)
	if err != nil {
		t.Fatal(err)
	}
	rh.launcher.SetPolicy(policy)
	rh.run(time.Minute)
	rh.settle()
	list, err := rh.mgr.Service().History().List(context.Background(), history.Filter{Limit: 10})
	if err != nil || len(list) != 2 {
		t.Fatalf("history: %v, %d runs", err, len(list))
	}
	second, first := list[0], list[1]
	if first.Status != report.StatusFailed || first.Error == nil || first.Error.Class != string(ops.ClassAuthorization) {
		t.Errorf("the viewer's run under the built-in policy: %s %+v; want failed, authorization", first.Status, first.Error)
	}
	if second.Status != report.StatusSucceeded {
		t.Errorf("the run after SetPolicy: %s %+v; want succeeded", second.Status, second.Error)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the allowed run did not write: %v", err)
	}
}

// TestRunLauncherQueuedRunTakesTheReloadedPolicy: a scheduled run that
// waits for a run slot while SetPolicy narrows the launcher's role is
// judged by the new policy as it starts: it is denied and writes nothing.
// Before, it ran under the policy it was launched with.
func TestRunLauncherQueuedRunTakesTheReloadedPolicy(t *testing.T) {
	rh := newRunHarnessMax(t, t10.Add(-time.Second), []string{auth.RoleOperator}, 1)
	holder, err := rh.mgr.Start(context.Background(), runs.Request{Playbook: mustPlaybook(t, rh.reg, "hold", "steps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\n")})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(rh.pbDir, "out.txt")
	h, err := rh.launcher.Launch(context.Background(), Job{Playbook: mustPlaybook(t, rh.reg, "put", "steps:\n  - {id: w, op: file.write, with: {path: "+out+", content: x}}\n"), Slot: t10})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := auth.ParsePolicy("p.yaml", []byte("version: 1\nroles:\n  operator: {max_risk: read}\n"), rh.reg)
	if err != nil {
		t.Fatal(err)
	}
	rh.launcher.SetPolicy(policy)
	holder.Cancel(errors.New("done holding"))
	<-h.Done()
	if st := h.(runHandle).Status(); st != report.StatusFailed {
		t.Errorf("the queued scheduled run: %s, want it denied by the reloaded policy", st)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the queued run wrote (%v)", err)
	}
}

// mustPlaybook loads a playbook of the given steps, named name.
func mustPlaybook(t *testing.T, reg *ops.Registry, name, body string) *steps.Playbook {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(path, []byte("version: 1\nname: "+name+"\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	pb, err := steps.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

// histogramCount returns the sample count of the histogram series whose
// label is value.
func histogramCount(t *testing.T, reg *prometheus.Registry, name, label, value string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// TestRunEndsOnceFollowed: a run whose watcher is still writing its lines
// has not ended for the scheduler: "run ended" is logged, and the run
// stops counting as running, only once the channel Watch returned closes.
func TestRunEndsOnceFollowed(t *testing.T) {
	rh := newRunHarness(t, t10.Add(-time.Second), []string{auth.RoleOperator})
	release := make(chan struct{})
	done := make(chan struct{})
	rh.launcher.Watch = func(job Job, h *runs.Handle) <-chan struct{} {
		followed := make(chan struct{})
		go func() {
			<-h.Done()
			close(done)
			<-release
			close(followed)
		}()
		return followed
	}
	rh.load(rh.playbook("tick", "@every 1h", noopSteps))
	rh.run(time.Hour)
	<-done
	time.Sleep(50 * time.Millisecond) // time enough to log the end, if it were ended
	if ended := rh.logs.lines("run ended"); len(ended) > 0 || rh.s.running() != 1 {
		t.Fatalf("the run ended for the scheduler before its watcher followed it to the end: running %d, %v", rh.s.running(), ended)
	}
	close(release)
	rh.settle()
	if ended := rh.logs.lines("run ended"); len(ended) != 1 {
		t.Errorf("%d \"run ended\" lines once the watcher was done, want 1", len(ended))
	}
}
