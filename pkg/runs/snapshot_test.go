package runs

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A live run's snapshot shows the steps so far with status running, and
// masks secret inputs, also inside the other inputs.
func TestSnapshotOfLiveRun(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	path := writePlaybook(t, `version: 1
name: live
inputs:
  token: {type: string, secret: true}
  who: {type: string}
steps:
  - {id: one, op: control.noop}
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`)
	h, err := m.Start(context.Background(), Request{Path: path, Inputs: map[string]any{"token": "hunter2", "who": "ops with hunter2"}})
	if err != nil {
		t.Fatal(err)
	}
	waitStep(t, h, "nap")
	snap := h.Snapshot()
	if snap.Status != StatusRunning || snap.RunID != h.ID() || snap.Playbook.Name != "live" {
		t.Errorf("snapshot %s %s %s", snap.Status, snap.RunID, snap.Playbook.Name)
	}
	got := map[string]report.Status{}
	for _, st := range snap.Steps {
		got[st.ID] = st.Status
	}
	if diff := cmp.Diff(map[string]report.Status{"one": report.StatusSucceeded, "nap": StatusRunning}, got); diff != "" {
		t.Errorf("steps so far (-want +got):\n%s", diff)
	}
	// The secret's text is masked inside the other inputs too, as in the
	// report.
	if diff := cmp.Diff(map[string]any{"token": "***", "who": "ops with ***"}, snap.Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	h.Cancel(nil)
	rep := wait(t, h)
	if final := h.Snapshot(); final != rep {
		t.Errorf("after the end, Snapshot is not the report")
	}
}

// SnapshotOf tells, from a run's events as another process reads them
// (JSON), the snapshot the run's own process shows, over the run's
// record; the events of a sub-run change nothing.
func TestSnapshotOfRelayedEvents(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	path := writePlaybook(t, `version: 1
name: relayed
inputs:
  token: {type: string, secret: true}
steps:
  - {id: one, op: control.log, with: {message: hello}}
  - {id: fan, op: control.noop, foreach: '["eu-1", {"name": "web-1"}, inputs.token]'}
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`)
	h, err := m.Start(context.Background(), Request{Path: path, Inputs: map[string]any{"token": "hunter2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { h.Cancel(nil); wait(t, h) }()
	sub := h.Events().Subscribe(0)
	defer sub.Cancel()
	var evs []engine.Event
	for napping := false; !napping; {
		ev, ok := sub.Next(context.Background())
		if !ok {
			t.Fatal("the run ended before its nap")
		}
		data, _ := json.Marshal(ev)
		var relayed engine.Event
		if err := json.Unmarshal(data, &relayed); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, relayed)
		napping = ev.Kind == engine.EventStepStarted && ev.Step == "nap"
	}
	evs = append(evs, engine.Event{Kind: engine.EventStepStarted, RunID: "a-sub-run", Step: "elsewhere", Time: time.Now()})
	live := h.Snapshot()
	base := *live
	base.Steps, base.StartedAt, base.DurationMS = []report.Step{}, time.Time{}, 0
	got := SnapshotOf(base, evs)
	if len(base.Steps) != 0 {
		t.Errorf("SnapshotOf changed its base: %+v", base.Steps)
	}
	live.DurationMS, got.DurationMS = 0, 0 // each until its own now
	if diff := cmp.Diff(live, got); diff != "" {
		t.Errorf("snapshot from the events (-live +relayed):\n%s", diff)
	}
	// A finished item is named by its label (a string item's is itself,
	// masked), else by a masked preview of its value, as the report names
	// it.
	names := make([]any, 6)
	for _, st := range got.Steps {
		for _, it := range st.Items { // in the order they finished
			names[2*it.Index], names[2*it.Index+1] = it.Label, it.Item
		}
	}
	if diff := cmp.Diff([]any{"eu-1", nil, "web-1", nil, "***", nil}, names); diff != "" {
		t.Errorf("the fan-out's items (-want +got):\n%s", diff)
	}
}

// waitStep waits until the run's step id started.
func waitStep(t *testing.T, h *Handle, id string) {
	t.Helper()
	sub := h.Events().Subscribe(0)
	defer sub.Cancel()
	for {
		ev, ok := sub.Next(context.Background())
		if !ok {
			t.Fatalf("run ended before step %s started", id)
		}
		if ev.Kind == "step_started" && ev.Step == id {
			return
		}
	}
}

// Start authorizes before it admits: a denied run comes back already
// ended, recorded and audited with who asked and from where.
func TestStartDeniesAtOnce(t *testing.T) {
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.jsonl")
	audit, err := auth.OpenAudit(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	m := newManager(t, Config{StateDir: dir, Audit: audit}, Limits{MaxRunning: 1, MaxQueued: -1})
	var ended atomic.Int32
	m.OnEnd(func(*Handle) { ended.Add(1) })
	path := writePlaybook(t, "version: 1\nname: shell\nsteps:\n  - {id: sh, op: shell.exec, with: {command: [\"true\"]}}\n")
	h, err := m.Start(context.Background(), Request{Path: path, Caller: Caller{Roles: []string{"viewer"}, Name: "ci", From: "10.0.0.7", Trigger: TriggerAPI}})
	if err != nil {
		t.Fatal(err)
	}
	if h.State() != StateEnded || len(h.Denied()) != 1 {
		t.Fatalf("state %s, denied %v; want ended at once with one denied step", h.State(), h.Denied())
	}
	if got, ok := m.Get(h.ID()); !ok || got != h {
		t.Errorf("Get does not find the denied run")
	}
	if n := ended.Load(); n != 1 {
		t.Errorf("OnEnd called %d times, want 1", n)
	}
	run, err := m.Service().History().Get(context.Background(), h.ID())
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != report.StatusFailed {
		t.Errorf("history says %s", run.Status)
	}
	audit.Close()
	data, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	var line auth.AuditLine
	if err := json.Unmarshal([]byte(strings.SplitN(string(data), "\n", 2)[0]), &line); err != nil {
		t.Fatal(err)
	}
	if line.Who != "ci" || line.From != "10.0.0.7" || line.Outcome != "denied" {
		t.Errorf("audit line who=%q from=%q outcome=%q", line.Who, line.From, line.Outcome)
	}
}

// Executed steps are audited with the caller, and history keeps the
// trigger.
func TestCallerInAuditAndTriggerInHistory(t *testing.T) {
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.jsonl")
	audit, err := auth.OpenAudit(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	m := newManager(t, Config{StateDir: dir, Audit: audit}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, "version: 1\nname: one\nsteps:\n  - {id: a, op: control.noop}\n"),
		Caller: Caller{Name: "deploy-bot", From: "127.0.0.1", Trigger: TriggerAPI}})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, h)
	run, err := m.Service().History().Get(context.Background(), h.ID())
	if err != nil {
		t.Fatal(err)
	}
	if run.Trigger != "api" {
		t.Errorf("history trigger %q, want api", run.Trigger)
	}
	audit.Close()
	data, _ := os.ReadFile(auditPath)
	var line auth.AuditLine
	if err := json.Unmarshal([]byte(strings.SplitN(string(data), "\n", 2)[0]), &line); err != nil {
		t.Fatal(err)
	}
	if line.Who != "deploy-bot" || line.From != "127.0.0.1" || line.Op != "control.noop" {
		t.Errorf("audit line %+v", line)
	}
}

// The stream ends with exactly one run_finished for the run, carrying the
// report.
func TestOneRunFinishedWithReport(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, "version: 1\nname: one\nsteps:\n  - {id: a, op: control.noop}\n")})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, h)
	var finished []Event
	for _, ev := range h.Events().Events() {
		if ev.Kind == "run_finished" {
			finished = append(finished, ev)
		}
	}
	if len(finished) != 1 || finished[0].Report == nil || finished[0].Seq != h.Events().Last() {
		t.Errorf("run_finished events: %+v", finished)
	}
}

// Executes that end together are recorded together, each in history with
// its trigger when ExecuteOp returns, without a report file.
func TestExecuteOpsRecordedInBatches(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Config{StateDir: dir}, Limits{})
	const n = 50
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := m.ExecuteOp(context.Background(), OpRequest{Op: "control.noop", Caller: Caller{Trigger: TriggerAPI}})
			if err != nil {
				t.Error(err)
				return
			}
			run, err := m.Service().History().Get(context.Background(), res.RunID)
			if err != nil || run.Trigger != "api" || run.Status != report.StatusSucceeded {
				t.Errorf("execute %d in history: %+v, %v", i, run, err)
			}
			ids[i] = res.RunID
		}()
	}
	wg.Wait()
	stats, _, err := m.Service().History().Stats(context.Background(), time.Time{}, time.Time{})
	if err != nil || len(stats) != 1 || stats[0].Count != n {
		t.Errorf("stats %+v, %v; want %d calls of control.noop", stats, err, n)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "reports"))
	if len(entries) != 0 {
		t.Errorf("%d report files for executes; history is their record", len(entries))
	}
}

// TestSnapshotCancelledStepHasAClass: a step that ended cancelled has
// class cancelled in a report made from the run's events (the one a
// second signal writes), as in the run's own report, even when its event
// tells only the reason.
func TestSnapshotCancelledStepHasAClass(t *testing.T) {
	rep := SnapshotOf(report.Report{RunID: "r"}, []engine.Event{
		{Kind: engine.EventStepStarted, RunID: "r", Step: "a", Time: time.Now()},
		{Kind: engine.EventStepFinished, RunID: "r", Step: "a", Status: "cancelled", Reason: "the run was cancelled: interrupt", Time: time.Now()},
	})
	if st := rep.Steps[0]; st.Error == nil || st.Error.Class != "cancelled" || st.Error.Message != "the run was cancelled: interrupt" {
		t.Errorf("step a: %+v", st.Error)
	}
}

// TestSnapshotItemErrors: a finished item of a running fan-out shows its
// error (class and message) and whether the cache answered it, as its
// item_finished event says, so that a rollout followed through the API
// learns why an item failed before the run ends.
func TestSnapshotItemErrors(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	one, two := 0, 1
	evs := []engine.Event{
		{Kind: engine.EventRunStarted, RunID: "r1", Time: at},
		{Kind: engine.EventStepStarted, RunID: "r1", Time: at, Step: "roll", Op: "shell.exec", Items: 3},
		{Kind: engine.EventItemFinished, RunID: "r1", Time: at, Step: "roll", Op: "shell.exec", Index: &one, Items: 3,
			Status: "failed", Attempts: 2, DurationMS: 40, Err: "exit code 1 is not in ok_codes [0]", ErrClass: "execution"},
		{Kind: engine.EventItemFinished, RunID: "r1", Time: at, Step: "roll", Op: "shell.exec", Index: &two, Items: 3,
			Status: "succeeded", DurationMS: 1, Cached: true, CacheAgeMS: 5000},
	}
	for i := range evs { // as another process reads them
		data, _ := json.Marshal(evs[i])
		evs[i] = engine.Event{}
		if err := json.Unmarshal(data, &evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	got := SnapshotOf(report.Report{RunID: "r1"}, evs).Steps[0].Items
	want := []report.Item{
		{Index: 0, Status: report.StatusFailed, Attempts: 2, DurationMS: 40, Error: &report.Error{Class: "execution", Message: "exit code 1 is not in ok_codes [0]"}},
		{Index: 1, Status: report.StatusSucceeded, DurationMS: 1, Cached: true, CacheAgeMS: 5000},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the items so far (-want +got):\n%s", diff)
	}
}

// TestSnapshotSaysWhatANotifyEntryReached: a notify entry that finished
// while the run goes on has, in the run's snapshot, the notification its
// step_finished gave: the snapshot keeps no output, so without it the
// renderings read an email two of three recipients got as not sent.
func TestSnapshotSaysWhatANotifyEntryReached(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	want := report.Notification{Sent: report.SentSome, Recipients: 2, Of: 3}
	rep := SnapshotOf(report.Report{RunID: "r1"}, []engine.Event{
		{Kind: engine.EventStepStarted, RunID: "r1", Time: at, Step: "mail", Op: "notify.email", Section: "notify"},
		{Kind: engine.EventStepFinished, RunID: "r1", Time: at, Step: "mail", Op: "notify.email", Section: "notify", Status: "failed",
			Attempts: 1, Err: "notify.email: refused: bad@example.com", ErrClass: "validation", Notification: &want},
	})
	if got := report.NotificationOf(&rep.Steps[0]); got == nil || *got != want {
		t.Errorf("the snapshot's notify entry reached %+v; want %+v", got, want)
	}
}
