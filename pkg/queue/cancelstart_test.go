package queue

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestRunCancelledWhileQueuedRunsNoStep: a run whose cancel is recorded
// while its job still waits, but whose job River did not cancel (the
// database failed the JobCancel, or a worker took the job as the cancel
// came), is started by a worker that knows nothing of the cancel. Its
// claim, made just before the first step, finds the cancel: it runs no
// step. The worker used to look for the cancel only once the run had
// started, and its first steps could run.
func TestRunCancelledWhileQueuedRunsNoStep(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false)
	ctx := context.Background()
	marks := filepath.Join(t.TempDir(), "marks")
	a := args("mark", map[string]any{"file": marks})
	a.RunID = engine.NewRunID()
	job := taken(t, r, a)
	if _, err := r.pg.Pool().Exec(ctx, `INSERT INTO run_cancels (run_id, cancelled_by, at) VALUES ($1, 'oncall', 0)`, a.RunID); err != nil {
		t.Fatal(err)
	}
	pb, _ := r.q.cfg.Playbook("mark")
	h, err := r.mgr.StartClaimed(ctx, runs.Request{RunID: a.RunID, Playbook: pb, Inputs: a.Inputs,
		Caller: runs.Caller{Roles: a.Roles, Name: a.Caller, Trigger: a.Trigger}}, r.q.claim(job))
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rep, err := h.Wait(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marks); err == nil {
		t.Error("the run cancelled while queued ran its step")
	}
	if rep.Status != report.StatusCancelled || rep.Error == nil || !strings.Contains(rep.Error.Message, "by oncall") {
		t.Errorf("report: %s %+v; want cancelled through the API by oncall", rep.Status, rep.Error)
	}
	for _, s := range rep.Steps {
		if s.Status != report.StatusSkipped {
			t.Errorf("step %s: %s %q; want it not run", s.ID, s.Status, s.Reason)
		}
	}
}

// TestCancelLeftUndoneIsCarriedOut: a cancel recorded for a run whose job
// still waits, but not carried out (the database went away between the
// cancel's commit and River's JobCancel), is carried out by the reaper:
// the job leaves the queue and the run is recorded cancelled, rather than
// being listed as waiting until a replica takes it. It used to stay
// queued.
func TestCancelLeftUndoneIsCarriedOut(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false) // takes no job: the run waits
	ctx := context.Background()
	id, _, err := r.q.Submit(ctx, args("nap", nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.pg.Pool().Exec(ctx, `INSERT INTO run_cancels (run_id, cancelled_by, at) VALUES ($1, 'oncall', $2)`, id, time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	r.q.reap(ctx)
	j, err := r.q.Find(ctx, id)
	if err != nil || j.State != "cancelled" {
		t.Errorf("the job: %s, %v; want cancelled", j.State, err)
	}
	run, err := r.pg.Get(ctx, id)
	if err != nil || run.Status != report.StatusCancelled || run.Error == nil || !strings.Contains(run.Error.Message, "by oncall") {
		t.Errorf("history: %s %+v, %v; want cancelled through the API by oncall", run.Status, run.Error, err)
	}
}
