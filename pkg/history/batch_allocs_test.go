package history

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRecordFinishedAllocs bounds the allocations of recording a server's
// batch of executes: at 15,000 executes a second every one of them pays
// it, and the collector with it.
func TestRecordFinishedAllocs(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	const n, runs = 128, 12
	// The batches are made beforehand: what is counted is the Store's.
	batches := make([][]Finished, runs+2)
	for k := range batches {
		batches[k] = make([]Finished, n)
		for i := range batches[k] {
			// A batch's executes end within a few milliseconds.
			at := t0.Add(time.Duration(k)*time.Second + time.Duration(i/40)*time.Millisecond)
			batches[k][i] = Finished{Report: &report.Report{RunID: fmt.Sprintf("%s-%06d", at.Format("20060102T150405"), k*n+i),
				Playbook: report.Playbook{Name: "control.noop", Path: report.OperationPath + "control.noop"}, Roles: []string{"admin"},
				Status: report.StatusSucceeded, StartedAt: at, FinishedAt: at,
				Steps: []report.Step{{ID: "control.noop", Op: "control.noop", Status: report.StatusSucceeded, StartedAt: &at, Attempts: 1}},
			}, Trigger: TriggerAPI, StartedBy: "ci"}
		}
	}
	k := 0
	record := func() {
		if err := s.RecordFinished(ctx, batches[k]); err != nil {
			t.Fatal(err)
		}
		k++
	}
	record() // the statements prepared
	got := testing.AllocsPerRun(runs, record) / n
	t.Logf("%.2f allocations a run", got)
	if got > executeAllocs {
		t.Errorf("recording %d executes made %.2f allocations a run, more than the %.1f budgeted", n, got, executeAllocs)
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM steps JOIN runs ON runs.id = steps.run_id WHERE steps.op = 'control.noop' AND runs.started_by = 'ci'`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(batches)*n {
		t.Errorf("%d step rows recorded, want %d", rows, len(batches)*n)
	}
}

// executeAllocs is the budget a run of a batch: its id boxed once for its
// run row and its step row, and its share of the batch's slices. A run
// makes about 1.5 allocations; it made 13.5 when each value was boxed on
// its own, and each step row was a slice of its own.
const executeAllocs = 3.0
