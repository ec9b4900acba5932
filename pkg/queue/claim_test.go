package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// taken queues a (a.RunID set) and marks its job taken by r, as River's
// fetch does, for a test that works the job itself.
func taken(t *testing.T, r *replica, a RunArgs) *river.Job[RunArgs] {
	t.Helper()
	ctx := context.Background()
	if _, _, err := r.q.Submit(ctx, a); err != nil {
		t.Fatal(err)
	}
	row := &rivertype.JobRow{}
	err := r.pg.Pool().QueryRow(ctx, `UPDATE river_job SET state = 'running', attempt = attempt + 1, attempted_at = now(),
			attempted_by = array_append(attempted_by, $2::text)
		WHERE kind = $3 AND args->>'run_id' = $1 RETURNING id, attempt, created_at, scheduled_at`,
		a.RunID, r.pg.Owner(), Kind).Scan(&row.ID, &row.Attempt, &row.CreatedAt, &row.ScheduledAt)
	if err != nil {
		t.Fatalf("take the job: %v", err)
	}
	return &river.Job[RunArgs]{JobRow: row, Args: a}
}

// handBack makes the job of a run look taken by a replica that died a
// minute ago, as it does to the others when the replica that took it is
// cut off from the database for longer than the lease: the reaper of any
// replica then puts it back in the queue.
func handBack(t *testing.T, r *replica, runID string) {
	t.Helper()
	tag, err := r.pg.Pool().Exec(context.Background(), `UPDATE river_job SET attempted_at = now() - interval '1 minute',
		attempted_by = ARRAY['a-replica-that-died'] WHERE args->>'run_id' = $1`, runID)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("hand the job back: %v, %v", tag, err)
	}
}

// waitLocal returns the handle of a run r took, once it is there.
func waitLocal(t *testing.T, r *replica, runID string, state runs.State) *runs.Handle {
	t.Helper()
	var h *runs.Handle
	waitUntil(t, "run "+runID+" "+string(state)+" here", func() bool {
		var ok bool
		h, ok = r.q.Local(runID)
		return ok && h.Status() == string(state)
	})
	return h
}

// notClaimed checks that h, a run whose job was taken back, ended
// neither run nor recorded here.
func notClaimed(t *testing.T, h *runs.Handle) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if rep, err := h.Wait(ctx); rep != nil || !errors.Is(err, runs.ErrNotClaimed) {
		t.Errorf("the run on the replica that lost its job: report %v, %v; want it to end unclaimed", rep != nil, err)
	}
}

// TestRunTakenBackWhileWaitingForASlotRunsOnce: a run waits on replica a
// for a run slot; meanwhile a is taken for dead (its job looks held by a
// replica without a heartbeat) and b runs the run. When a's slot frees,
// a neither runs the run again nor records it.
func TestRunTakenBackWhileWaitingForASlotRunsOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 1, true)
	ctx := context.Background()
	nap := holdTheRunSlot(t, a)
	marks := filepath.Join(t.TempDir(), "marks")
	id, _, err := a.q.Submit(ctx, args("mark", map[string]any{"file": marks}))
	if err != nil {
		t.Fatal(err)
	}
	waiting := waitLocal(t, a, id, runs.StateQueued)
	handBack(t, a, id)
	b := newReplicaLease(t, dsn, 1, true, 2*time.Second)
	if st := await(t, b.q, id); st != report.StatusSucceeded {
		t.Fatalf("the run ended %s on b, want succeeded", st)
	}
	nap.Cancel(errors.New("the test frees a's run slot"))
	notClaimed(t, waiting)
	waitUntil(t, "a's worker to let the job go", func() bool { _, ok := a.q.Local(id); return !ok })
	if data, _ := os.ReadFile(marks); strings.Join(strings.Fields(string(data)), " ") != id {
		t.Errorf("the runs that ran: %q, want %s once", data, id)
	}
	if r, err := b.pg.Get(ctx, id); err != nil || r.Status != report.StatusSucceeded {
		t.Errorf("history of %s: %s, %v; want succeeded", id, r.Status, err)
	}
}

// TestRunTakenBackWhileWaitingForItsGroupRunsOnce: a run waits on replica
// a for its concurrency group when its job is taken back; b, which takes
// the job, finds the run still in the group's line on a (a place a run):
// it does not record the run failed, but leaves the job in the queue
// until a, once the group frees, lets the run go unclaimed; then the run
// runs once.
func TestRunTakenBackWhileWaitingForItsGroupRunsOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 2, true)
	ctx := context.Background()
	hold, _, err := a.q.Submit(ctx, args("hold", nil))
	if err != nil {
		t.Fatal(err)
	}
	holding := waitLocal(t, a, hold, runs.StateRunning)
	after, _, err := a.q.Submit(ctx, args("after", nil))
	if err != nil {
		t.Fatal(err)
	}
	waiting := waitLocal(t, a, after, runs.StateQueued)
	handBack(t, a, after)
	b := newReplicaLease(t, dsn, 2, true, 2*time.Second)
	waitUntil(t, "b to take the job", func() bool {
		var took bool
		b.pg.Pool().QueryRow(ctx, `SELECT $2::text = ANY(attempted_by) FROM river_job WHERE args->>'run_id' = $1`, after, b.pg.Owner()).Scan(&took)
		return took
	})
	if r, err := b.pg.Get(ctx, after); err == nil {
		t.Fatalf("b recorded the run that waits on a: %s, %+v", r.Status, r.Error)
	}
	holding.Cancel(errors.New("the test frees the group"))
	notClaimed(t, waiting)
	if st := await(t, b.q, after); st != report.StatusSucceeded {
		r, _ := b.pg.Get(ctx, after)
		t.Errorf("the run ended %s (%+v), want succeeded", st, r.Error)
	}
}

// TestStopLeavesATakenBackJobToItsReplica: a run waits on replica a for a
// run slot when its job is taken back, and b runs it; a's worker, its
// claim failed, waits for b's run to end. When a stops meanwhile, River
// must write nothing for that worker: the job stays b's, running, and
// ends when b's run does, completed by b.
func TestStopLeavesATakenBackJobToItsReplica(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 1, true)
	ctx := context.Background()
	nap := holdTheRunSlot(t, a)
	id, _, err := a.q.Submit(ctx, args("nap", nil))
	if err != nil {
		t.Fatal(err)
	}
	waiting := waitLocal(t, a, id, runs.StateQueued)
	handBack(t, a, id)
	b := newReplicaLease(t, dsn, 1, true, 2*time.Second)
	onB := waitLocal(t, b, id, runs.StateRunning)
	nap.Cancel(errors.New("the test frees a's run slot"))
	notClaimed(t, waiting)
	waitUntil(t, "a's worker to let the job go", func() bool { _, ok := a.q.Local(id); return !ok })

	a.stop()
	job := func() (state, by string) {
		t.Helper()
		err := b.pg.Pool().QueryRow(ctx, `SELECT state, attempted_by[cardinality(attempted_by)] FROM river_job WHERE args->>'run_id' = $1`,
			id).Scan(&state, &by)
		if err != nil {
			t.Fatalf("the run's job: %v", err)
		}
		return state, by
	}
	if state, by := job(); state != "running" || by != b.pg.Owner() {
		t.Errorf("the job once a stopped: %s, taken by %s; want running, b's (%s)", state, by, b.pg.Owner())
	}

	onB.Cancel(errors.New("the test ends b's run"))
	if st := await(t, b.q, id); st != report.StatusCancelled {
		t.Errorf("the run ended %s on b, want cancelled", st)
	}
	waitUntil(t, "b to end the job", func() bool { state, _ := job(); return state != "running" })
	if state, by := job(); state != "completed" || by != b.pg.Owner() {
		t.Errorf("the job once b's run ended: %s, taken by %s; want completed, b's (%s)", state, by, b.pg.Owner())
	}
}

// holdTheRunSlot starts a nap on replica a, outside the queue, and waits
// until it holds a's one run slot.
func holdTheRunSlot(t *testing.T, a *replica) *runs.Handle {
	t.Helper()
	napPB, _ := a.q.cfg.Playbook("nap")
	nap, err := a.mgr.Start(context.Background(), runs.Request{Playbook: napPB, Caller: runs.Caller{Roles: []string{auth.RoleAdmin}}})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the nap holding a's run slot", func() bool { return nap.Status() == string(runs.StateRunning) })
	return nap
}

// TestClaimRecordsTheStart: the claim of a queued run records its start as
// the run service records it. Held after its claim, before the service's
// own record of the start, the run shows on another replica (its service's
// history) as it is: running, with its playbook's path and sha256, its
// inputs masked as its report masks them (the secret's text nowhere in the
// row), and dry_run true for a dry run.
func TestClaimRecordsTheStart(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 1, false)
	b := newReplica(t, dsn, 1, false)
	ctx := context.Background()
	in := map[string]any{"token": "hunter2", "note": "sent with hunter2"}
	masked := map[string]any{"token": "***", "note": "sent with ***"}
	ra := args("secret", in)
	ra.RunID, ra.DryRun = engine.NewRunID(), true
	job := taken(t, a, ra)
	pb, _ := a.q.cfg.Playbook("secret")

	claimed, release := make(chan error, 1), make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	h, err := a.mgr.StartClaimed(ctx, runs.Request{RunID: ra.RunID, Playbook: pb, Inputs: in, DryRun: true, Requeue: true,
		Caller: runs.Caller{Roles: ra.Roles, Name: ra.Caller, Trigger: ra.Trigger}},
		func(ctx context.Context, start history.Run) error {
			err := a.q.claim(job)(ctx, start)
			claimed <- err
			<-release // the run goes no further until the test says so
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-claimed:
		if err != nil {
			t.Fatalf("claim: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the run was not claimed within a minute")
	}

	elsewhere := b.mgr.Service().History()
	check := func(when string, status report.Status) {
		t.Helper()
		run, err := elsewhere.Get(ctx, ra.RunID)
		if err != nil {
			t.Fatalf("%s: the run on the other replica: %v", when, err)
		}
		if run.Status != status || run.Path != pb.File || run.SHA256 != pb.SHA256 || !run.DryRun ||
			run.Trigger != history.TriggerAPI || run.StartedBy != ra.Caller || !slices.Equal(run.Roles, ra.Roles) {
			t.Errorf("%s: the other replica shows status %s, path %q, sha256 %q, dry_run %v, trigger %s, started by %q, roles %v; "+
				"want %s, %q, %q, true, api, %q, %v",
				when, run.Status, run.Path, run.SHA256, run.DryRun, run.Trigger, run.StartedBy, run.Roles,
				status, pb.File, pb.SHA256, ra.Caller, ra.Roles)
		}
		if diff := cmp.Diff(masked, run.Inputs); diff != "" {
			t.Errorf("%s: the inputs the other replica shows (-want +got):\n%s", when, diff)
		}
		var row string
		if err := b.pg.Pool().QueryRow(ctx, `SELECT inputs FROM runs WHERE id = $1`, ra.RunID).Scan(&row); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(row, "hunter2") {
			t.Errorf("%s: the row holds the secret in clear: %s", when, row)
		}
	}
	check("claimed, not yet going", history.StatusRunning)

	free()
	ctx2, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rep, err := h.Wait(ctx2)
	if err != nil || rep.Status != report.StatusSucceeded || !rep.DryRun {
		t.Fatalf("the run: %v, %v; want a dry run that succeeded", rep, err)
	}
	check("ended", report.StatusSucceeded)
}
