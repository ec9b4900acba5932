package storetest

import (
	"testing"

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
	must(t, a.RecordFinish(ctx, dry, ""))
	must(t, a.RecordFinish(ctx, finished("real", "deploy", report.StatusSucceeded, t0, map[string]int64{"http.request": 3}), ""))
	batch := finished("batch", "op.exec", report.StatusSucceeded, t0, map[string]int64{"control.noop": 1})
	batch.DryRun = true
	must(t, a.RecordFinished(ctx, []history.Finished{{Report: batch, Trigger: history.TriggerAPI}}))
	dryRuns("finished", map[string]bool{"dry": true, "real": false, "batch": true})
}
