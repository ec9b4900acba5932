package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// testWindow: history --since S --until U and stats over the same window
// see the runs (and their calls) started at or after S and before U, the
// runs of an hour at night read the morning after.
func testWindow(t *testing.T, open Opener) {
	s := open(t)
	for i := range 6 {
		st := report.StatusSucceeded
		if i == 3 {
			st = report.StatusFailed
		}
		must(t, s.RecordFinish(ctx, finished(fmt.Sprintf("r%d", i), "pb", st, t0.Add(time.Duration(i)*time.Minute),
			map[string]int64{"control.noop": int64(i + 1)}), "", ""))
	}
	since, until := t0.Add(2*time.Minute), t0.Add(4*time.Minute)
	list, err := s.List(ctx, history.Filter{Since: since, Before: until})
	must(t, err)
	if diff := cmp.Diff([]string{"r3", "r2"}, ids(list)); diff != "" {
		t.Errorf("runs from 2m to before 4m (-want +got):\n%s", diff)
	}
	ops, pbs, err := s.Stats(ctx, since, until)
	must(t, err)
	wantOps := []history.OpStats{{Op: "control.noop", Count: 2, Errors: 1, ErrorRate: 0.5, P50MS: 3, P95MS: 4, P99MS: 4}}
	if diff := cmp.Diff(wantOps, ops); diff != "" {
		t.Errorf("op stats from 2m to before 4m (-want +got):\n%s", diff)
	}
	wantPbs := []history.PlaybookStats{{Playbook: "pb", Count: 2, Errors: 1, ErrorRate: 0.5, Timed: 2, P50MS: 3, P95MS: 4, P99MS: 4}}
	if diff := cmp.Diff(wantPbs, pbs); diff != "" {
		t.Errorf("playbook stats from 2m to before 4m (-want +got):\n%s", diff)
	}
	// A zero until is no bound.
	ops, _, err = s.Stats(ctx, since, time.Time{})
	must(t, err)
	if len(ops) != 1 || ops[0].Count != 4 {
		t.Errorf("op stats from 2m on: %+v, want control.noop with 4 calls", ops)
	}
}
