package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// An interrupted run's duration is only how long it ran at least, to the
// end of its last recorded step (0 ms when none ended): it counts as a
// run and a failure, but its duration stays out of the percentiles, else
// a playbook whose runs were killed mid-way would read faster than it
// is. A playbook with only interrupted runs has no percentiles.
func testStatsLeaveInterruptedDurations(t *testing.T, open Opener) {
	a, b := open(t), open(t)
	for i := range 4 {
		must(t, b.RecordFinish(ctx, finished(fmt.Sprintf("r%d", i), "restart", report.StatusSucceeded, t0.Add(time.Duration(i)*time.Second),
			map[string]int64{"shell.exec": int64(400 + 100*i)}), "", ""))
	}
	for _, id := range []string{"killed1", "killed2"} {
		must(t, a.RecordStart(ctx, history.Run{ID: id, Playbook: "restart", StartedAt: t0.Add(time.Minute)}))
	}
	must(t, a.RecordStep(ctx, "killed1", history.StepResult{StepID: "s", Op: "control.noop", Item: -1, Attempts: 1, Status: report.StatusSucceeded, StartedAt: t0.Add(time.Minute), DurationMS: 10}))
	must(t, a.RecordStart(ctx, history.Run{ID: "killed3", Playbook: "oom", StartedAt: t0.Add(time.Minute)}))
	must(t, a.Close())
	n, err := b.MarkInterrupted(ctx)
	must(t, err)
	if n != 3 {
		t.Fatalf("MarkInterrupted marked %d runs, want 3", n)
	}
	_, pbs, err := b.Stats(ctx, t0, time.Time{})
	must(t, err)
	want := []history.PlaybookStats{
		{Playbook: "oom", Count: 1, Errors: 1, ErrorRate: 1},
		{Playbook: "restart", Count: 6, Errors: 2, ErrorRate: 2.0 / 6, Timed: 4, P50MS: 500, P95MS: 700, P99MS: 700},
	}
	if diff := cmp.Diff(want, pbs); diff != "" {
		t.Errorf("playbook stats with interrupted runs (-want +got):\n%s", diff)
	}
}

// A cancelled run was stopped on purpose part way (SIGINT, SIGTERM, a
// cancel from the API): its duration is how long it ran until then, not
// how long the playbook takes. It counts as a run, not a failure, and its
// duration stays out of the percentiles, as an interrupted run's does.
func testStatsLeaveCancelledDurations(t *testing.T, open Opener) {
	s := open(t)
	for i := range 4 {
		must(t, s.RecordFinish(ctx, finished(fmt.Sprintf("r%d", i), "restart", report.StatusSucceeded, t0.Add(time.Duration(i)*time.Second),
			map[string]int64{"shell.exec": int64(4000 + 1000*i)}), "", ""))
	}
	for i := range 3 {
		must(t, s.RecordFinish(ctx, finished(fmt.Sprintf("c%d", i), "restart", report.StatusCancelled, t0.Add(time.Minute+time.Duration(i)*time.Second),
			map[string]int64{"shell.exec": 50}), "", ""))
	}
	must(t, s.RecordFinish(ctx, finished("c9", "stopped", report.StatusCancelled, t0.Add(time.Minute), map[string]int64{"shell.exec": 50}), "", ""))
	_, pbs, err := s.Stats(ctx, t0, time.Time{})
	must(t, err)
	want := []history.PlaybookStats{
		{Playbook: "restart", Count: 7, Timed: 4, P50MS: 5000, P95MS: 7000, P99MS: 7000},
		{Playbook: "stopped", Count: 1},
	}
	if diff := cmp.Diff(want, pbs); diff != "" {
		t.Errorf("playbook stats with cancelled runs (-want +got):\n%s", diff)
	}
}

// A queued run that never started (refused under a new policy, its
// playbook missing on the replica that took it) did not run: its
// "duration" is how long it waited in the queue. It counts as a run and
// a failure, but no step of it started, so its duration stays out of the
// percentiles, as a cancelled one's does.
func testStatsLeaveNeverStartedDurations(t *testing.T, open Opener) {
	s := open(t)
	for i := range 4 {
		must(t, s.RecordFinish(ctx, finished(fmt.Sprintf("r%d", i), "restart", report.StatusSucceeded, t0.Add(time.Duration(i)*time.Second),
			map[string]int64{"shell.exec": int64(400 + 100*i)}), "", ""))
	}
	for i := range 3 {
		r := finished(fmt.Sprintf("n%d", i), "restart", report.StatusFailed, t0.Add(time.Minute+time.Duration(i)*time.Second), nil)
		r.Steps = []report.Step{{ID: "s0", Op: "shell.exec", Section: "steps", Status: report.StatusSkipped, Reason: "not run: the run could not start"}}
		r.DurationMS = 3_600_000 // an hour in the queue
		r.FinishedAt = r.StartedAt.Add(time.Hour)
		r.Error = &report.Error{Class: "authorization", Message: "not started: under the policy in force now, role gone; nothing ran"}
		must(t, s.RecordFinish(ctx, r, "", ""))
	}
	_, pbs, err := s.Stats(ctx, t0, time.Time{})
	must(t, err)
	want := []history.PlaybookStats{
		{Playbook: "restart", Count: 7, Errors: 3, ErrorRate: 3.0 / 7, Timed: 4, P50MS: 500, P95MS: 700, P99MS: 700},
	}
	if diff := cmp.Diff(want, pbs); diff != "" {
		t.Errorf("playbook stats with runs that never started (-want +got):\n%s", diff)
	}
}
