package server

// A run told from history alone: the run of another process still going,
// or one whose report file is gone.

import (
	"context"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// fromHistory builds what a report can be from a history row and its step
// rows: a run of another process still going, or one whose report file is
// gone.
func fromHistory(ctx context.Context, h store.History, run history.Run) *report.Report {
	rep := recordReport(run)
	rows, _ := within(ctx, storeReadBound, func(ctx context.Context) ([]history.StepRow, error) { return h.Steps(ctx, run.ID) })
	for _, row := range rows {
		if row.Kind != "step" || row.Nested() {
			// Items and attempts are in their step's row; a sub-playbook's
			// steps (ids with a "/"), in their playbook.run step's.
			continue
		}
		st := report.Step{ID: row.StepID, Op: row.Op, Section: row.Section, Status: row.Status, DurationMS: row.DurationMS, Attempts: row.Attempt, StartedAt: row.StartedAt, Ignored: row.Ignored}
		if row.ErrorClass != "" {
			st.Error = &report.Error{Class: row.ErrorClass, Message: stepErrorText(run, row)}
		}
		rep.Steps = append(rep.Steps, st)
	}
	return rep
}

// stepErrorText is the text of a step's error as a history row tells it.
// Step rows keep the error's class only; the run's error, which the step
// that failed the run gives as "step ID STATUS: TEXT" (and an execute's
// one step as it is), has the text. Else it says where the text is, or
// that it is not kept.
func stepErrorText(run history.Run, row history.StepRow) string {
	execute := strings.HasPrefix(run.Path, report.OperationPath)
	if e := run.Error; e != nil && e.Message != "" {
		if text, ok := strings.CutPrefix(e.Message, "step "+row.StepID+" "+string(row.Status)+": "); ok {
			return text
		}
		if execute && e.Class == row.ErrorClass {
			return e.Message
		}
	}
	switch {
	case execute:
		return "not kept: history keeps the class of a step's error, not its text; an execute's error was in its own answer and is in the audit log"
	case run.Status == history.StatusRunning:
		return "not kept yet: history keeps the class of a step's error, not its text; the run's report has it when the run ends"
	default:
		return "not kept: history keeps the class of a step's error, not its text, and the run's report cannot be read"
	}
}

// recordReport is the report a history row tells, without steps. Its
// dry_run is the row's, which both stores keep from the run's start (rows
// written before they did read false).
func recordReport(run history.Run) *report.Report {
	rep := &report.Report{ReportVersion: report.FormatVersion, RunID: run.ID, ResumedFrom: run.ResumedFrom,
		Playbook: report.Playbook{Name: run.Playbook, Path: run.Path, SHA256: run.SHA256},
		Roles:    run.Roles, Inputs: run.Inputs, DryRun: run.DryRun, Status: run.Status, StartedAt: run.StartedAt,
		DurationMS: run.DurationMS, Steps: []report.Step{}, Outputs: map[string]any{}, Error: run.Error}
	if rep.Inputs == nil {
		rep.Inputs = map[string]any{}
	}
	if run.FinishedAt != nil {
		rep.FinishedAt = *run.FinishedAt
	}
	return rep
}
