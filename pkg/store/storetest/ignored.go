package storetest

// Failures continue_on_error ignored, as every store records them.

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// testIgnoredFailure: a step whose failure continue_on_error ignored is
// recorded so, live and from the report, and only on the step's own row.
func testIgnoredFailure(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.RecordStart(ctx, history.Run{ID: "i1", Playbook: "deploy", Path: "/pb/deploy.yaml", StartedAt: t0}))
	must(t, s.RecordSteps(ctx, "i1", []history.StepResult{
		{StepID: "probe", Op: "shell.exec", Item: -1, Attempts: 1, Status: report.StatusFailed, ErrorClass: "execution", StartedAt: t0, DurationMS: 3, Ignored: true},
		{StepID: "fan", Op: "shell.exec", Item: 0, Attempts: 1, Status: report.StatusFailed, ErrorClass: "execution", StartedAt: t0, DurationMS: 2, Ignored: true},
		{StepID: "hard", Op: "shell.exec", Item: -1, Attempts: 1, Status: report.StatusFailed, ErrorClass: "execution", StartedAt: t0, DurationMS: 1},
	}))
	ignored := func(id string) []string {
		rows, err := s.Steps(ctx, id)
		must(t, err)
		var got []string
		for _, r := range rows {
			if r.Ignored {
				got = append(got, r.StepID+" "+r.Kind)
			}
		}
		return got
	}
	if diff := cmp.Diff([]string{"probe step"}, ignored("i1")); diff != "" {
		t.Errorf("live rows marked ignored (-want +got):\n%s", diff)
	}

	rep := finished("i1", "deploy", report.StatusSucceeded, t0, map[string]int64{"control.noop": 1, "shell.exec": 3})
	st := &rep.Steps[1]
	st.Status, st.Error, st.Ignored = report.StatusFailed, &report.Error{Class: "execution", Message: "exit 1"}, true
	st.Items = []report.Item{{Index: 0, Status: report.StatusFailed, Error: &report.Error{Class: "execution", Message: "exit 1"}, Attempts: 1, StartedAt: at(0)}}
	must(t, s.RecordFinish(ctx, rep, "", ""))
	if diff := cmp.Diff([]string{"s1 step"}, ignored("i1")); diff != "" {
		t.Errorf("the report's rows marked ignored (-want +got):\n%s", diff)
	}

	batch := finished("i2", "deploy", report.StatusSucceeded, t0.Add(time.Second), map[string]int64{"shell.exec": 3})
	batch.Steps[0].Status, batch.Steps[0].Ignored = report.StatusFailed, true
	must(t, s.RecordFinished(ctx, []history.Finished{{Report: batch, Trigger: history.TriggerAPI}}))
	if diff := cmp.Diff([]string{"s0 step"}, ignored("i2")); diff != "" {
		t.Errorf("a batch's rows marked ignored (-want +got):\n%s", diff)
	}
}
