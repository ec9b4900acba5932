package queue

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/riverqueue/river"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
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
