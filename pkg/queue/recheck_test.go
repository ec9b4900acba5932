package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestQueuedRunOfACallerNoLongerInForceDoesNotStart: a run asked for
// through the API waits in the queue while a reload removes its caller's
// key; the replica that takes it asks its caller check as the run starts,
// and the run ends failed for authorization, saying why, with nothing
// run. Before, the replica ran it with the roles it was queued with.
func TestQueuedRunOfACallerNoLongerInForceDoesNotStart(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 1, false)
	var gone atomic.Bool
	var asked atomic.Int32
	a.q.SetCallerCheck(func(ra RunArgs) string {
		asked.Add(1)
		if gone.Load() && ra.Caller == "test" {
			return "the key test was removed from the keys file since the run was queued"
		}
		return ""
	})
	marks := filepath.Join(t.TempDir(), "marks")
	id, _, err := a.q.Submit(context.Background(), args("mark", map[string]any{"file": marks}))
	if err != nil {
		t.Fatal(err)
	}
	gone.Store(true) // the reload, while the run waits in the queue
	if err := a.q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := await(t, a.q, id); st != report.StatusFailed {
		t.Errorf("the run of a removed key ended %s, want failed", st)
	}
	if _, err := os.Stat(marks); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the run of a removed key ran (%v)", err)
	}
	run, err := a.pg.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Error == nil || run.Error.Class != string(ops.ClassAuthorization) || !strings.Contains(run.Error.Message, "the key test was removed") {
		t.Errorf("the run's error: %+v, want authorization, saying the key was removed", run.Error)
	}
	if asked.Load() == 0 {
		t.Error("the caller check was never asked")
	}
}
