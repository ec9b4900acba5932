package queue

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/riverqueue/river"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestNeverRanRecordsThePlaybookPathOfItsLoad: a queued run that never
// started is recorded with its playbook's path as loaded, as a run that
// started is, not the path it was given made absolute with the working
// directory of the moment it ends.
func TestNeverRanRecordsThePlaybookPathOfItsLoad(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mark.yaml"), []byte(markPlaybook), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	pb, err := steps.Load("mark.yaml", reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // the working directory is elsewhere now
	r := newReplicaLease(t, pgtest.DSN(t), 1, false, 0, func(c *Config) {
		c.Playbook = func(name string) (*steps.Playbook, bool) { return pb, name == "mark" }
	})
	ctx := context.Background()
	a := args("mark", map[string]any{"file": filepath.Join(t.TempDir(), "marks")})
	a.RunID = engine.NewRunID()
	if _, err := r.pg.Pool().Exec(ctx, `INSERT INTO run_cancels (run_id, cancelled_by, at) VALUES ($1, 'ops', 0)`, a.RunID); err != nil {
		t.Fatal(err)
	}
	jctx, cancel := context.WithCancelCause(ctx)
	cancel(river.ErrJobCancelledRemotely)
	_ = r.q.work(jctx, taken(t, r, a))
	run, err := r.pg.Get(ctx, a.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if want := pb.AbsPath(); run.Path != want {
		t.Errorf("history records the playbook at %q, want %q, where it was loaded", run.Path, want)
	}
}

// TestNeverRanReportsAsTheRunServiceDoes: the report of a run cancelled
// while it waited in the shared queue has the shape of the one the run
// service writes for a run cancelled while it waited there: its inputs
// with their defaults filled in, and each skipped step with the decision
// it would have had. Only ids, times and the error's wording differ.
func TestNeverRanReportsAsTheRunServiceDoes(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const text = `version: 1
name: count
inputs:
  file: {type: string}
  times: {type: integer, default: 3}
steps:
  - {id: count, op: shell.exec, with: {command: [sh, -c, 'echo "$N" >> "$F"'], env: {N: "${{ inputs.times }}", F: "${{ inputs.file }}"}}}
`
	path := filepath.Join(dir, "count.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	pb, err := steps.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := auth.ParsePolicy("policy.yaml", []byte("version: 1\nroles:\n  admin: {allow: [\"*\"]}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := newReplicaLease(t, pgtest.DSN(t), 1, false, 0, func(c *Config) {
		c.Playbook = func(name string) (*steps.Playbook, bool) { return pb, name == "count" }
		c.Policy = func() *auth.Policy { return policy }
	})
	ctx := context.Background()
	given := map[string]any{"file": filepath.Join(t.TempDir(), "counts")}

	// The run service's: a run that waits for the one running to end.
	mgr := r.q.cfg.Manager
	nap, err := steps.Load(writeFile(t, dir, "nap.yaml", napPlaybook), reg)
	if err != nil {
		t.Fatal(err)
	}
	ahead, err := mgr.Start(ctx, runs.Request{Playbook: nap, Policy: policy, Caller: runs.Caller{Roles: []string{"admin"}, Name: "ops"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ahead.Cancel(errors.New("test over"))
	waiting, err := mgr.Start(ctx, runs.Request{Playbook: pb, Inputs: given, Policy: policy, Caller: runs.Caller{Roles: []string{"admin"}, Name: "ops"}})
	if err != nil {
		t.Fatal(err)
	}
	waiting.Cancel(errors.New("cancelled through the API by ops"))
	local, err := waiting.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The queue's: a run cancelled just as a worker took it.
	a := args("count", given)
	a.Roles, a.Caller = []string{"admin"}, "ops"
	a.RunID = engine.NewRunID()
	if _, err := r.pg.Pool().Exec(ctx, `INSERT INTO run_cancels (run_id, cancelled_by, at) VALUES ($1, 'ops', 0)`, a.RunID); err != nil {
		t.Fatal(err)
	}
	jctx, cancel := context.WithCancelCause(ctx)
	cancel(river.ErrJobCancelledRemotely)
	_ = r.q.work(jctx, taken(t, r, a))
	body, err := r.pg.ReadReport(ctx, a.RunID)
	if err != nil {
		t.Fatal(err)
	}
	var queued report.Report
	if err := json.Unmarshal(body, &queued); err != nil {
		t.Fatal(err)
	}
	if len(local.Steps) == 0 || local.Steps[0].Authorization == nil {
		t.Fatalf("the run service's report has no decision on its steps: %+v", local.Steps)
	}
	// Through JSON, as the queue's was, so that numbers compare alike.
	var localJSON report.Report
	b, err := json.Marshal(local)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &localJSON); err != nil {
		t.Fatal(err)
	}
	ignore := cmpopts.IgnoreFields(report.Report{}, "RunID", "StartedAt", "FinishedAt", "DurationMS", "Signature", "Error")
	reason := cmpopts.IgnoreFields(report.Step{}, "Reason")
	if diff := cmp.Diff(localJSON, queued, ignore, reason, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("the queue's report of a run cancelled while waiting differs from the run service's (-service +queue):\n%s", diff)
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
