package storetest

// The steps of sub-playbooks, as every store records and counts them.

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// testSubRunSteps: the steps a playbook.run step ran are rows of the run,
// named by their path from the top-level step ("call/say", a fan-out
// item's "fan[web-2]/say" by its label, "fan[0]/say" by its index for
// one without, "call/deep/inner" a level deeper), and their calls
// count in the stats of their operations, attempts and fan-out items as
// a top-level step's do.
func testSubRunSteps(t *testing.T, open Opener) {
	s := open(t)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	inner := func(d time.Duration, dur int64) []report.Step {
		return []report.Step{
			{ID: "say", Op: "shell.exec", Section: "steps", Status: report.StatusSucceeded, StartedAt: at(d), DurationMS: dur, Attempts: 1},
			{ID: "note", Op: "control.log", Section: "steps", Status: report.StatusSucceeded, StartedAt: at(d + ms(int(dur))), DurationMS: 1, Attempts: 1},
		}
	}
	deep := &report.SubRun{RunID: "d", Playbook: report.Playbook{Name: "deep"}, Status: report.StatusFailed, Steps: []report.Step{
		{ID: "inner", Op: "shell.exec", Section: "steps", Status: report.StatusFailed, StartedAt: at(ms(40)), DurationMS: 30, Attempts: 2,
			Error: &report.Error{Class: "execution", Message: "exit 1"},
			AttemptLog: []report.Attempt{
				{Attempt: 1, StartedAt: t0.Add(ms(40)), DurationMS: 10, Error: &report.Error{Class: "execution", Message: "exit 1"}},
				{Attempt: 2, StartedAt: t0.Add(ms(60)), DurationMS: 10, Error: &report.Error{Class: "execution", Message: "exit 1"}},
			}},
	}, Error: &report.Error{Class: "execution", Message: "step inner failed"}}
	callSteps := append(inner(ms(10), 20), report.Step{ID: "deeper", Op: "playbook.run", Section: "steps", Status: report.StatusFailed,
		StartedAt: at(ms(40)), DurationMS: 35, Attempts: 1, Error: deep.Error, Sub: deep, Ignored: true})
	rep := &report.Report{ReportVersion: report.FormatVersion, RunID: "n1", Playbook: report.Playbook{Name: "main", Path: "/pb/main.yaml"},
		Roles: []string{"operator"}, Status: report.StatusSucceeded, StartedAt: t0, FinishedAt: t0.Add(ms(200)), DurationMS: 200,
		Steps: []report.Step{
			{ID: "call", Op: "playbook.run", Section: "steps", Status: report.StatusSucceeded, StartedAt: at(ms(5)), DurationMS: 80, Attempts: 1,
				Sub: &report.SubRun{RunID: "c", Playbook: report.Playbook{Name: "sub"}, Status: report.StatusSucceeded, Steps: callSteps}},
			{ID: "fan", Op: "playbook.run", Section: "steps", Status: report.StatusSucceeded, StartedAt: at(ms(100)), DurationMS: 50, Attempts: 1,
				Items: []report.Item{
					{Index: 0, Status: report.StatusSucceeded, StartedAt: at(ms(100)), DurationMS: 20, Attempts: 1},
					{Index: 1, Label: "web-2", Status: report.StatusSucceeded, StartedAt: at(ms(100)), DurationMS: 50, Attempts: 1},
				},
				Subs: []*report.SubRun{
					{RunID: "f0", Playbook: report.Playbook{Name: "sub"}, Status: report.StatusSucceeded, Steps: inner(ms(101), 15)},
					{RunID: "f1", Playbook: report.Playbook{Name: "sub"}, Status: report.StatusSucceeded, Steps: inner(ms(101), 45)},
				}},
		}}
	must(t, s.RecordFinish(ctx, rep, "", ""))

	rows, err := s.Steps(ctx, "n1")
	must(t, err)
	var got []string
	for _, r := range rows {
		if r.Kind == "step" {
			got = append(got, r.StepID+" "+r.Op)
		}
	}
	want := []string{"call playbook.run", "call/say shell.exec", "call/note control.log", "call/deeper playbook.run", "call/deeper/inner shell.exec",
		"fan playbook.run", "fan[0]/say shell.exec", "fan[0]/note control.log", "fan[web-2]/say shell.exec", "fan[web-2]/note control.log"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step rows (-want +got):\n%s", diff)
	}

	ops, _, err := s.Stats(ctx, t0, time.Time{})
	must(t, err)
	wantOps := []history.OpStats{
		{Op: "control.log", Count: 3, P50MS: 1, P95MS: 1, P99MS: 1},
		{Op: "playbook.run", Count: 4, Errors: 1, ErrorRate: 0.25, P50MS: 35, P95MS: 80, P99MS: 80},
		{Op: "shell.exec", Count: 5, Errors: 2, ErrorRate: 0.4, P50MS: 15, P95MS: 45, P99MS: 45},
	}
	if diff := cmp.Diff(wantOps, ops); diff != "" {
		t.Errorf("op stats (-want +got):\n%s", diff)
	}
}

// testDrySubRunNotCounted: a dry run's playbook.run steps ran their
// sub-playbooks dry, doing none of their writes in a fraction of the
// time; counted as calls, they would pull playbook.run's percentiles
// down and its call count up, as no other write step of a dry run does.
// The read calls of the dry sub-runs count, as a dry run's reads do.
func testDrySubRunNotCounted(t *testing.T, open Opener) {
	s := open(t)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	sub := func(d time.Duration) *report.SubRun {
		return &report.SubRun{RunID: "s", Playbook: report.Playbook{Name: "sub"}, Status: report.StatusSucceeded, Steps: []report.Step{
			{ID: "look", Op: "control.log", Section: "steps", Status: report.StatusSucceeded, StartedAt: at(d), DurationMS: 1, Attempts: 1},
			{ID: "w", Op: "file.write", Section: "steps", Status: report.StatusSkipped, Reason: "dry run"},
		}}
	}
	rep := func(id string, dry bool, dur int64) *report.Report {
		return &report.Report{ReportVersion: report.FormatVersion, RunID: id, Playbook: report.Playbook{Name: "main", Path: "/pb/main.yaml"},
			Roles: []string{"operator"}, Status: report.StatusSucceeded, StartedAt: t0, FinishedAt: t0.Add(ms(200)), DurationMS: 200, DryRun: dry,
			Steps: []report.Step{
				{ID: "call", Op: "playbook.run", Section: "steps", Status: report.StatusSucceeded, StartedAt: at(ms(5)), DurationMS: dur, Attempts: 1, Sub: sub(ms(5))},
				{ID: "fan", Op: "playbook.run", Section: "steps", Status: report.StatusSucceeded, StartedAt: at(ms(100)), DurationMS: dur, Attempts: 1,
					Items: []report.Item{{Index: 0, Status: report.StatusSucceeded, StartedAt: at(ms(100)), DurationMS: dur, Attempts: 1}},
					Subs:  []*report.SubRun{sub(ms(100))}},
			}}
	}
	must(t, s.RecordFinish(ctx, rep("real", false, 90), "", ""))
	must(t, s.RecordFinish(ctx, rep("dry", true, 2), "", ""))
	ops, _, err := s.Stats(ctx, t0, time.Time{})
	must(t, err)
	want := []history.OpStats{
		{Op: "control.log", Count: 4, P50MS: 1, P95MS: 1, P99MS: 1},
		{Op: "playbook.run", Count: 2, P50MS: 90, P95MS: 90, P99MS: 90},
	}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("op stats (-want +got):\n%s", diff)
	}
}
