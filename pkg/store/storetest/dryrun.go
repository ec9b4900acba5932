package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A dry run is one from its start, for another Store on the same backing
// store too, and after its end, whether recorded at its start and end or
// whole at its end; a real run is not.
func testDryRun(t *testing.T, open Opener) {
	a, b := open(t), open(t)
	must(t, a.RecordStart(ctx, history.Run{ID: "dry", Playbook: "deploy", StartedAt: t0, DryRun: true}))
	must(t, a.RecordStart(ctx, history.Run{ID: "real", Playbook: "deploy", StartedAt: t0}))
	dryRuns := func(what string, want map[string]bool) {
		t.Helper()
		list, err := b.List(ctx, history.Filter{})
		must(t, err)
		got := map[string]bool{}
		for _, r := range list {
			got[r.ID] = r.DryRun
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("dry_run of the %s runs (-want +got):\n%s", what, diff)
		}
	}
	dryRuns("running", map[string]bool{"dry": true, "real": false})
	if run, err := b.Get(ctx, "dry"); err != nil || !run.DryRun {
		t.Errorf("Get of the running dry run: dry_run %v, %v; want true", run.DryRun, err)
	}

	dry := finished("dry", "deploy", report.StatusSucceeded, t0, map[string]int64{"http.request": 3})
	dry.DryRun = true
	must(t, a.RecordFinish(ctx, dry, "", ""))
	must(t, a.RecordFinish(ctx, finished("real", "deploy", report.StatusSucceeded, t0, map[string]int64{"http.request": 3}), "", ""))
	batch := finished("batch", "op.exec", report.StatusSucceeded, t0, map[string]int64{"control.noop": 1})
	batch.DryRun = true
	must(t, a.RecordFinished(ctx, []history.Finished{{Report: batch, Trigger: history.TriggerAPI}}))
	dryRuns("finished", map[string]bool{"dry": true, "real": false, "batch": true})
}

// A playbook's stats are of its real runs: a dry run, whose write steps
// did not run, would lower its durations and its error rate. The read
// calls a dry run made did run, and count for their operations.
func testStatsLeaveDryRuns(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.RecordFinish(ctx, finished("real", "deploy", report.StatusFailed, t0, map[string]int64{"http.request": 100}), "", ""))
	for i := range 3 {
		dry := finished(fmt.Sprintf("dry%d", i), "deploy", report.StatusSucceeded, t0.Add(time.Duration(i+1)*time.Second), map[string]int64{"http.request": 2})
		dry.DryRun = true
		must(t, s.RecordFinish(ctx, dry, "", ""))
	}
	batch := finished("batch", "op.exec", report.StatusSucceeded, t0, map[string]int64{"http.request": 2})
	batch.DryRun = true
	must(t, s.RecordFinished(ctx, []history.Finished{{Report: batch, Trigger: history.TriggerAPI}}))
	ops, pbs, err := s.Stats(ctx, t0, time.Time{})
	must(t, err)
	wantPbs := []history.PlaybookStats{{Playbook: "deploy", Count: 1, Errors: 1, ErrorRate: 1, Timed: 1, P50MS: 100, P95MS: 100, P99MS: 100}}
	if diff := cmp.Diff(wantPbs, pbs); diff != "" {
		t.Errorf("playbook stats with dry runs (-want +got):\n%s", diff)
	}
	wantOps := []history.OpStats{{Op: "http.request", Count: 5, Errors: 1, ErrorRate: 0.2, P50MS: 2, P95MS: 100, P99MS: 100}}
	if diff := cmp.Diff(wantOps, ops); diff != "" {
		t.Errorf("op stats with dry runs (-want +got):\n%s", diff)
	}
}
