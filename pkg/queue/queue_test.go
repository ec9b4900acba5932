package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// replica is one `serve` replica's run service and queue, in-process.
type replica struct {
	q    *Queue
	mgr  *runs.Manager
	pg   *postgres.Store
	logs *lockedBuffer // the queue's JSON log
	// stop shuts the replica down as serve does, once.
	stop func()
}

// playbooks are what every replica serves: mark appends the run's id to
// the file named by its input, so that a test counts how often each run
// ran; nap sleeps until cancelled.
const (
	markPlaybook = `version: 1
name: mark
inputs:
  file: {type: string}
steps:
  - id: mark
    op: shell.exec
    with: {command: [sh, -c, 'echo "$RUN" >> "$FILE"'], env: {RUN: "${{ run.id }}", FILE: "${{ inputs.file }}"}}
`
	napPlaybook = `version: 1
name: nap
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`
	// slow runs long enough, step after step, for the database to go
	// away and come back while its events are written.
	slowPlaybook = `version: 1
name: slow
steps:
  - {id: a, op: control.sleep, with: {duration: 600ms}}
  - {id: b, op: control.sleep, with: {duration: 600ms}}
  - {id: c, op: control.sleep, with: {duration: 600ms}}
  - {id: d, op: control.sleep, with: {duration: 600ms}}
`
	tickPlaybook = `version: 1
name: tick
schedule: {cron: "@every 1h"}
steps:
  - {id: tick, op: control.noop}
`
	// hold and after share a concurrency group: after waits while hold
	// runs.
	holdPlaybook = `version: 1
name: hold
concurrency: {group: g, policy: queue}
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`
	afterPlaybook = `version: 1
name: after
concurrency: {group: g, policy: queue}
steps:
  - {id: a, op: control.noop}
`
	// again is run again when its replica is lost.
	againPlaybook = `version: 1
name: again
retry_on_node_loss: true
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`
	// secret has a secret input, which a run's records mask, inside its
	// other inputs too.
	secretPlaybook = `version: 1
name: secret
inputs:
  token: {type: string, secret: true}
  note: {type: string}
steps:
  - {id: a, op: control.noop}
`
	// defaults has inputs with defaults, which a run's records show
	// filled in.
	defaultsPlaybook = `version: 1
name: defaults
inputs:
  token: {type: string, secret: true}
  level: {type: string, default: info}
  retries: {type: number, default: 3}
steps:
  - {id: a, op: control.noop}
`
)

// newReplica opens the store at dsn and builds a replica on it; started,
// it takes jobs and learns the end of the runs it awaits (Await), as every
// replica of serve does.
func newReplica(t testing.TB, dsn string, workers int, start bool) *replica {
	t.Helper()
	return newReplicaLease(t, dsn, workers, start, 0)
}

// newReplicaLease is newReplica with the store's lease (0: the default),
// its queue's config changed by opts.
func newReplicaLease(t testing.TB, dsn string, workers int, start bool, lease time.Duration, opts ...func(*Config)) *replica {
	t.Helper()
	return newReplicaService(t, dsn, workers, start, lease, nil, opts...)
}

// newReplicaService is newReplicaLease with its run service's config
// changed by svcOpt, when not nil.
func newReplicaService(t testing.TB, dsn string, workers int, start bool, lease time.Duration, svcOpt func(*runs.Config), opts ...func(*Config)) *replica {
	t.Helper()
	ctx := context.Background()
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pbs := map[string]*steps.Playbook{}
	for name, text := range map[string]string{"mark": markPlaybook, "nap": napPlaybook, "tick": tickPlaybook, "hold": holdPlaybook, "after": afterPlaybook,
		"secret": secretPlaybook, "again": againPlaybook, "slow": slowPlaybook,
		"defaults": defaultsPlaybook} {
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		pb, err := steps.Load(path, reg)
		if err != nil {
			t.Fatal(err)
		}
		pbs[name] = pb
	}
	pg, err := postgres.Open(ctx, postgres.Config{URL: dsn, Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	svcCfg := runs.Config{Registry: reg, Store: pg}
	if svcOpt != nil {
		svcOpt(&svcCfg)
	}
	svc, err := runs.NewService(svcCfg)
	if err != nil {
		t.Fatal(err)
	}
	mgr := runs.NewManager(svc, runs.Limits{MaxRunning: workers})
	logs := &lockedBuffer{}
	logger := zerolog.New(logs)
	cfg := Config{Store: pg, Manager: mgr, Workers: workers, Poll: 20 * time.Millisecond, Logger: &logger,
		Playbook: func(name string) (*steps.Playbook, bool) { pb, ok := pbs[name]; return pb, ok }}
	for _, o := range opts {
		o(&cfg)
	}
	q, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if start {
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The shutdown of serve: stop taking jobs while the manager ends the
	// runs going, then close what they wrote to.
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			stopped := make(chan error, 1)
			go func() { stopped <- q.Stop(ctx) }()
			// serve cancels the runs going at once after the requests
			// in flight.
			now, cancelNow := context.WithCancel(ctx)
			cancelNow()
			mgr.Shutdown(now)
			if err := <-stopped; err != nil && start {
				t.Errorf("queue stop: %v", err)
			}
			svc.Close()
			reg.Close()
			pg.Close()
		})
	}
	t.Cleanup(stop)
	return &replica{q: q, mgr: mgr, pg: pg, logs: logs, stop: stop}
}

// lockedBuffer is a bytes.Buffer safe for the queue's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunThatNeverStartedLogsItsEnd: a queued run that a replica cannot
// start (here, a playbook it does not have) ends with the "run finished"
// warn line of any run that did not succeed, with its status, error class
// and error.
func TestRunThatNeverStartedLogsItsEnd(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 1, true)
	id, _, err := a.q.Submit(context.Background(), args("nosuch", nil))
	if err != nil {
		t.Fatal(err)
	}
	if st := await(t, a.q, id); st != report.StatusFailed {
		t.Fatalf("the run ended %s, want failed", st)
	}
	waitUntil(t, "the run's last log line", func() bool { return strings.Contains(a.logs.String(), id) })
	for _, line := range strings.Split(strings.TrimSpace(a.logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["run_id"] != id {
			continue
		}
		if m["message"] != "run finished" || m["level"] != "error" || m["status"] != "failed" || m["error_class"] != "system" ||
			!strings.Contains(fmt.Sprint(m["error"]), `has no playbook "nosuch"`) {
			t.Errorf("the run's line: %s", line)
		}
		return
	}
	t.Errorf("no line for run %s in:\n%s", id, a.logs.String())
}

// await waits for a run to end on whichever replica ran it.
func await(t *testing.T, q *Queue, runID string) report.Status {
	t.Helper()
	done, status := q.Await(runID)
	select {
	case <-done:
		return status()
	case <-time.After(time.Minute):
		t.Fatalf("run %s did not end within a minute", runID)
		return ""
	}
}

func args(playbook string, inputs map[string]any) RunArgs {
	return RunArgs{Playbook: playbook, Inputs: inputs, Roles: []string{auth.RoleAdmin}, Caller: "test", Trigger: runs.TriggerAPI}
}

// TestEachRunRunsOnce: runs submitted on one replica run once each, on
// any of three replicas, and end succeeded for another that waits.
func TestEachRunRunsOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 4, true)
	newReplica(t, dsn, 4, true)
	watcher := newReplica(t, dsn, 4, true)
	marks := filepath.Join(t.TempDir(), "marks")
	var ids []string
	for range 12 {
		id, dup, err := a.q.Submit(context.Background(), args("mark", map[string]any{"file": marks}))
		if err != nil || dup {
			t.Fatalf("submit: %q, dup %v, %v", id, dup, err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if st := await(t, watcher.q, id); st != report.StatusSucceeded {
			t.Errorf("run %s ended %s, want succeeded", id, st)
		}
	}
	data, err := os.ReadFile(marks)
	if err != nil {
		t.Fatal(err)
	}
	ran := strings.Fields(string(data))
	slices.Sort(ran)
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(ran, want) {
		t.Errorf("the runs that ran:\n%v\nwant each submitted run once:\n%v", ran, want)
	}
	for _, id := range ids {
		r, err := watcher.pg.Get(context.Background(), id)
		if err != nil || r.Status != report.StatusSucceeded || string(r.Trigger) != string(runs.TriggerAPI) || r.StartedBy != "test" {
			t.Errorf("history of %s: %+v, %v", id, r, err)
		}
	}
}

// TestJobTakenAsTheDatabaseGoesAway: a replica that takes a job just as
// the database goes away starts its run once the database is back,
// rather than dropping the job because it could not check whether the
// run had started before.
func TestJobTakenAsTheDatabaseGoesAway(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false)
	marks := filepath.Join(t.TempDir(), "marks")
	a := args("mark", map[string]any{"file": marks})
	a.RunID = engine.NewRunID()
	job := taken(t, r, a)
	up, err := pgtest.Shared(t).Down()
	if err != nil {
		t.Fatal(err)
	}
	back := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		back <- up()
	}()
	if err := r.q.work(context.Background(), job); err != nil {
		t.Errorf("work: %v", err)
	}
	if err := <-back; err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(marks); strings.TrimSpace(string(data)) != a.RunID {
		t.Errorf("the runs that ran: %q, want %s once", data, a.RunID)
	}
	if run, err := r.pg.Get(context.Background(), a.RunID); err != nil || run.Status != report.StatusSucceeded {
		t.Errorf("history of %s: %+v, %v", a.RunID, run, err)
	}
}

// TestSubmitAsTheDatabaseRestarts: a run asked for while the database
// restarts is queued once it is back (within a few seconds), and runs.
func TestSubmitAsTheDatabaseRestarts(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, true)
	marks := filepath.Join(t.TempDir(), "marks")
	up, err := pgtest.Shared(t).Down()
	if err != nil {
		t.Fatal(err)
	}
	back := make(chan error, 1)
	go func() {
		time.Sleep(500 * time.Millisecond)
		back <- up()
	}()
	id, dup, err := r.q.Submit(context.Background(), args("mark", map[string]any{"file": marks}))
	if err := <-back; err != nil {
		t.Fatal(err)
	}
	if err != nil || dup {
		t.Fatalf("submit: %q, dup %v, %v", id, dup, err)
	}
	if st := await(t, r.q, id); st != report.StatusSucceeded {
		t.Errorf("run %s ended %s, want succeeded", id, st)
	}
	if data, _ := os.ReadFile(marks); strings.TrimSpace(string(data)) != id {
		t.Errorf("the runs that ran: %q, want %s once", data, id)
	}
}

// TestJobOfADeadReplicaRunsElsewhere: a job that a replica took and died
// before starting its run (no run recorded, its heartbeat gone) goes back
// to the queue after the lease, and another replica runs it once.
func TestJobOfADeadReplicaRunsElsewhere(t *testing.T) {
	dsn := pgtest.DSN(t)
	r := newReplicaLease(t, dsn, 1, false, 2*time.Second) // not started: the job waits
	marks := filepath.Join(t.TempDir(), "marks")
	id, _, err := r.q.Submit(context.Background(), args("mark", map[string]any{"file": marks}))
	if err != nil {
		t.Fatal(err)
	}
	// Taken as River's fetch takes a job, by a replica that left no
	// heartbeat behind.
	tag, err := r.pg.Pool().Exec(context.Background(), `UPDATE river_job SET state = 'running', attempt = 1,
		attempted_at = now() - interval '1 minute', attempted_by = ARRAY['a-replica-that-died']
		WHERE args->>'run_id' = $1`, id)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("take the job: %v, %v", tag, err)
	}
	if err := r.q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := await(t, r.q, id); st != report.StatusSucceeded {
		t.Errorf("run %s ended %s, want succeeded", id, st)
	}
	if data, _ := os.ReadFile(marks); strings.TrimSpace(string(data)) != id {
		t.Errorf("the runs that ran: %q, want %s once", data, id)
	}
	if n := testutil.ToFloat64(r.q.Metrics().rescued); n != 1 {
		t.Errorf("rescues: %v, want 1", n)
	}
}

// TestRecoverSlotsALeaderDidNotQueue: a slot recorded as fired by a
// leader that died before queuing it is queued by the next leader and
// runs once; a fired slot that has its run, or whose job still waits, is
// not queued again.
func TestRecoverSlotsALeaderDidNotQueue(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false) // not started: jobs wait
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	lost, ran, waiting := now.Add(-3*time.Second), now.Add(-2*time.Second), now.Add(-time.Second)
	var slots []history.Slot
	for _, at := range []time.Time{lost, ran, waiting} {
		slots = append(slots, history.Slot{Playbook: "tick", Slot: at, Outcome: history.SlotFired, At: at})
	}
	if _, err := r.pg.ClaimSlots(ctx, slots); err != nil {
		t.Fatal(err)
	}
	l := NewLauncher(r.q, []string{auth.RoleAdmin})
	// ran: its run is recorded; waiting: its job is queued.
	if err := r.pg.RecordStart(ctx, history.Run{ID: engine.NewRunID(), Playbook: "tick", Status: history.StatusRunning,
		StartedAt: ran, Trigger: history.TriggerSchedule, Slot: &ran}); err != nil {
		t.Fatal(err)
	}
	if _, dup, err := r.q.Submit(ctx, l.args("tick", waiting)); err != nil || dup {
		t.Fatalf("submit the waiting slot: dup %v, %v", dup, err)
	}
	n, err := l.Recover(ctx, time.Minute)
	if err != nil || n != 1 {
		t.Fatalf("recover: %d queued, %v; want the lost slot alone", n, err)
	}
	if n, err := l.Recover(ctx, time.Minute); err != nil || n != 0 {
		t.Errorf("recover again: %d queued, %v; want none", n, err)
	}
	if err := r.q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{lost, waiting} {
		waitUntil(t, "the run of the slot at "+at.Format(time.TimeOnly), func() bool {
			var n int
			r.pg.Pool().QueryRow(ctx, `SELECT count(*) FROM runs WHERE playbook = 'tick' AND slot = $1 AND status = 'succeeded'`, at.UnixMilli()).Scan(&n)
			return n == 1
		})
	}
	var total int
	if err := r.pg.Pool().QueryRow(ctx, `SELECT count(*) FROM runs WHERE playbook = 'tick'`).Scan(&total); err != nil || total != 3 {
		t.Errorf("%d runs of tick, %v; want one a slot", total, err)
	}
}

// TestSlotOfARunThatCouldNotStart: a scheduled run that cannot start on
// the replica that took it (here its sealed inputs do not open) is
// recorded failed with its slot, so a later leader's Recover sees that the
// slot had its run and does not queue it once more.
func TestSlotOfARunThatCouldNotStart(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false)
	ctx := context.Background()
	slot := time.Now().Truncate(time.Second).Add(-time.Second)
	if _, err := r.pg.ClaimSlots(ctx, []history.Slot{{Playbook: "tick", Slot: slot, Outcome: history.SlotFired, At: slot}}); err != nil {
		t.Fatal(err)
	}
	l := NewLauncher(r.q, []string{auth.RoleAdmin})
	a := l.args("tick", slot)
	a.Sealed = bytes.Repeat([]byte{7}, 64) // sealed with another key
	id, _, err := r.q.Submit(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var run history.Run
	waitUntil(t, "the failed run of the slot", func() bool {
		run, err = r.pg.Get(ctx, id)
		return err == nil && run.Status == report.StatusFailed
	})
	if run.Slot == nil || !run.Slot.Equal(slot) || run.Trigger != history.TriggerSchedule {
		t.Errorf("recorded with slot %v and trigger %q, want %v and schedule (error: %v)", run.Slot, run.Trigger, slot, run.Error)
	}
	if n, err := l.Recover(ctx, time.Minute); err != nil || n != 0 {
		t.Errorf("recover: %d queued, %v; want none: the slot had its run", n, err)
	}
}

// TestStoppedReplicaGivesBackTheRunsWaitingThere: a run a replica took
// that still waits there for its concurrency group when the replica
// stops is not recorded cancelled: its job goes back to the queue, and
// another replica runs it.
func TestStoppedReplicaGivesBackTheRunsWaitingThere(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 2, true)
	ctx := context.Background()
	hold, _, err := a.q.Submit(ctx, args("hold", nil))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "hold running on a", func() bool { h, ok := a.q.Local(hold); return ok && h.Status() == string(runs.StateRunning) })
	after, _, err := a.q.Submit(ctx, args("after", nil))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "after waiting on a", func() bool { h, ok := a.q.Local(after); return ok && h.Status() == string(runs.StateQueued) })
	a.stop()
	b := newReplica(t, dsn, 2, true)
	if got := await(t, b.q, after); got != report.StatusSucceeded {
		t.Errorf("the run that waited on the stopped replica ended %s, want succeeded elsewhere", got)
	}
	if r, err := b.pg.Get(ctx, hold); err != nil || r.Status != report.StatusCancelled {
		t.Errorf("the run going on the stopped replica: %s, %v; want cancelled", r.Status, err)
	}
}

// TestRunCancelledAsItsJobIsTaken: Cancel found the run's job waiting,
// but a worker took it before River's JobCancel arrived, so River cancels
// the worker's context instead. The worker, before it starts the run,
// records the run cancelled, rather than failing on that context and
// leaving the run recorded nowhere.
func TestRunCancelledAsItsJobIsTaken(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false)
	ctx := context.Background()
	a := args("mark", map[string]any{"file": filepath.Join(t.TempDir(), "marks")})
	a.RunID = engine.NewRunID()
	if _, err := r.pg.Pool().Exec(ctx, `INSERT INTO run_cancels (run_id, cancelled_by, at) VALUES ($1, 'ops', 0)`, a.RunID); err != nil {
		t.Fatal(err)
	}
	jctx, cancel := context.WithCancelCause(ctx)
	cancel(river.ErrJobCancelledRemotely)
	if err := r.q.work(jctx, taken(t, r, a)); err == nil {
		t.Error("the job ends as completed; want it cancelled")
	}
	run, err := r.pg.Get(ctx, a.RunID)
	if err != nil || run.Status != report.StatusCancelled || run.Error == nil || !strings.Contains(run.Error.Message, "by ops") {
		t.Errorf("history: %s %+v, %v; want cancelled through the API by ops", run.Status, run.Error, err)
	}
	if _, err := os.Stat(a.Inputs["file"].(string)); err == nil {
		t.Error("the run ran")
	}
}

// TestSameKeyQueuesOnce: a second submission with the key of a job that
// exists queues nothing and answers with the first run's id.
func TestSameKeyQueuesOnce(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false) // not started: the job waits
	a := args("nap", nil)
	a.Key = "nap@2026-12-01T03:00:00Z"
	first, dup, err := r.q.Submit(context.Background(), a)
	if err != nil || dup {
		t.Fatalf("first submit: %q, dup %v, %v", first, dup, err)
	}
	second, dup, err := r.q.Submit(context.Background(), a)
	if err != nil || !dup || second != first {
		t.Errorf("second submit with the same key: %q, dup %v, %v; want %q, dup", second, dup, err, first)
	}
	if waiting, _, err := r.q.Depth(context.Background()); err != nil || waiting != 1 {
		t.Errorf("depth: %d waiting, %v; want 1", waiting, err)
	}
}

// TestCancelQueuedAndRunning: a run still queued while every replica is
// busy is cancelled without ever starting; a running one is cancelled by
// the replica running it, asked through another.
func TestCancelQueuedAndRunning(t *testing.T) {
	dsn := pgtest.DSN(t)
	reps := []*replica{newReplica(t, dsn, 1, true), newReplica(t, dsn, 1, true)}
	ctx := context.Background()
	var naps []string
	for range 2 {
		id, _, err := reps[0].q.Submit(ctx, args("nap", nil))
		if err != nil {
			t.Fatal(err)
		}
		naps = append(naps, id)
	}
	// Each replica runs one nap, and has no worker left.
	for _, id := range naps {
		waitUntil(t, "run "+id+" to start", func() bool { return where(reps, id) >= 0 })
	}
	marks := filepath.Join(t.TempDir(), "marks")
	queued, _, err := reps[0].q.Submit(ctx, args("mark", map[string]any{"file": marks}))
	if err != nil {
		t.Fatal(err)
	}
	if err := reps[0].q.Cancel(ctx, queued, "oncall"); err != nil {
		t.Fatalf("cancel the queued run: %v", err)
	}
	if st := await(t, reps[0].q, queued); st != report.StatusCancelled {
		t.Errorf("the queued run ended %s, want cancelled", st)
	}
	// Each nap cancelled through the replica that does not run it.
	for _, id := range naps {
		other := reps[1-where(reps, id)]
		if err := other.q.Cancel(ctx, id, "oncall"); err != nil {
			t.Fatalf("cancel the running run: %v", err)
		}
		if st := await(t, other.q, id); st != report.StatusCancelled {
			t.Errorf("the running run %s ended %s, want cancelled", id, st)
		}
	}
	if _, err := os.Stat(marks); !os.IsNotExist(err) {
		t.Errorf("the run cancelled while queued ran: %v", err)
	}
	r, err := reps[1].pg.Get(ctx, queued)
	if err != nil || r.Error == nil || !strings.Contains(r.Error.Message, "oncall") {
		t.Errorf("history of the run cancelled while queued: %+v, %v; want its error to name who cancelled it", r, err)
	}
}

// where returns the index of the replica running runID, or -1.
func where(reps []*replica, runID string) int {
	for i, r := range reps {
		if _, ok := r.q.Local(runID); ok {
			return i
		}
	}
	return -1
}

// TestFollowFromAnotherReplica: a replica that does not run a run streams
// its events, in order, from the first to its run_finished.
func TestFollowFromAnotherReplica(t *testing.T) {
	dsn := pgtest.DSN(t)
	reps := []*replica{newReplica(t, dsn, 1, true), newReplica(t, dsn, 1, true)}
	// One replica naps, so the other runs the run followed.
	nap, _, err := reps[0].q.Submit(context.Background(), args("nap", nil))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the nap to start", func() bool { return where(reps, nap) >= 0 })
	front := reps[where(reps, nap)]
	marks := filepath.Join(t.TempDir(), "marks")
	id, _, err := front.q.Submit(context.Background(), args("mark", map[string]any{"file": marks}))
	if err != nil {
		t.Fatal(err)
	}
	defer front.q.Cancel(context.Background(), nap, "test")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var kinds []engine.EventKind
	var last uint64
	for ev := range front.q.Follow(ctx, id, 0) {
		if ev.Seq <= last {
			t.Errorf("event %d after %d", ev.Seq, last)
		}
		last = ev.Seq
		var body struct {
			RunID string `json:"run_id"`
		}
		if err := json.Unmarshal(ev.JSON, &body); err != nil || body.RunID != id {
			t.Errorf("event %d: run %q, %v; want %s", ev.Seq, body.RunID, err, id)
		}
		kinds = append(kinds, ev.Kind)
	}
	if ctx.Err() != nil {
		t.Fatalf("the stream did not end with the run: %v", kinds)
	}
	if len(kinds) < 4 || kinds[0] != engine.EventRunStarted || kinds[len(kinds)-1] != engine.EventRunFinished ||
		!slices.Contains(kinds, engine.EventStepFinished) {
		t.Errorf("events followed: %v; want run_started, the step's, run_finished", kinds)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCancelAuditedAsTheCallerLeaves: once the audit line of a cancel is
// written, the cancel is carried out even if its caller's context ends
// meanwhile (a client hanging up, a request's bound passed while the
// audit log was slow): the queued run is recorded cancelled, not left to
// run with an audit line saying it was cancelled.
func TestCancelAuditedAsTheCallerLeaves(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 1, false) // takes no job: the run waits
	id, _, err := a.q.Submit(context.Background(), args("nap", nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	audited := 0
	first, err := a.q.CancelOnce(ctx, id, "oncall", func() error {
		audited++
		cancel() // the caller goes while the line is written
		return nil
	}, func(err error) { t.Errorf("the cancel is said to have failed: %v", err) })
	if err != nil || !first || audited != 1 {
		t.Fatalf("CancelOnce: first %v, err %v, audited %d times; want true, nil, once", first, err, audited)
	}
	r, err := a.pg.Get(context.Background(), id)
	if err != nil || r.Status != report.StatusCancelled {
		t.Errorf("the run whose cancel was audited: %+v, %v; want it recorded cancelled", r, err)
	}
}

// TestWaitingRunShowsItsDefaults: a run waiting in the shared queue shows
// its inputs as it will once started, and as its report will: the
// defaults of those not given filled in, the secret masked. It used to
// show only the inputs given, so that a run seemed to change its inputs
// as it started.
func TestWaitingRunShowsItsDefaults(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 1, false) // takes no job: the run waits
	ctx := context.Background()
	id, _, err := a.q.Submit(ctx, args("defaults", map[string]any{"token": "hunter2"}))
	if err != nil {
		t.Fatal(err)
	}
	j, err := a.q.Find(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := a.q.cfg.Playbook("defaults")
	got, err := a.q.MaskedInputs(j.Args, pb)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"token": "***", "level": "info", "retries": float64(3)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the inputs of the waiting run (-want +got):\n%s", diff)
	}
}

// TestUnconfirmedCancelKeepsItsCause: when the database neither commits a
// cancel nor can be asked whether it did, the error says so and keeps the
// commit's own error, so that a server answers a database that went away
// with 503 and Retry-After, as for its other calls, not 500.
func TestUnconfirmedCancelKeepsItsCause(t *testing.T) {
	a := newReplica(t, pgtest.DSN(t), 1, false)
	a.pg.Close() // nothing more can be asked
	lost := errors.New("the connection broke during the commit")
	err := a.q.uncommitted(context.Background(), "r", "oncall", 1, lost)
	if !errors.Is(err, ErrCancelUnconfirmed) || !errors.Is(err, lost) {
		t.Errorf("uncommitted: %v; want it to wrap ErrCancelUnconfirmed and the commit's error", err)
	}
}
