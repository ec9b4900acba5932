package history

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// The rows another store writes, so that every store records a run, its
// steps and a slot's run row exactly as this one does. Each function
// returns the arguments in the order of the columns named beside it.

// StepColumns are the columns of StepArgs and ReportStepArgs, in order.
const StepColumns = `run_id, step_id, section, kind, item, attempt, op, status, error_class, started_at, duration_ms, call,
	cpu_user_ms, cpu_sys_ms, max_rss_kb, ignored`

// StepArgs are the StepColumns of one live row (RecordStep).
func StepArgs(runID string, res StepResult) []any { return stepArgs(runID, res) }

// ReportStepArgs are the StepColumns of every row of a finished run's
// report (RecordFinish).
func ReportStepArgs(r *report.Report) [][]any { return stepRows(r) }

// finishedValues is the number of FinishedColumns.
const finishedValues = 17

// FinishedColumns are the columns of FinishedArgs, in order.
const FinishedColumns = `id, playbook, path, sha256, roles, status, started_at, finished_at, duration_ms,
	inputs, report_path, error_class, error_message, resumed_from, triggered_by, started_by, slot`

// FinishedArgs are the FinishedColumns of a finished run's row, from its
// report; an empty Trigger, StartedBy or Slot keeps the recorded one (see
// RecordFinish).
func FinishedArgs(f Finished) ([]any, error) {
	return appendFinished(make([]any, 0, finishedValues), f, nil)
}

// appendFinished appends FinishedArgs to dst, boxing those that repeat
// through b.
func appendFinished(dst []any, f Finished, b *boxes) ([]any, error) {
	r := f.Report
	roles, err := rolesArg(r.Roles)
	if err != nil {
		return nil, fmt.Errorf("history: roles: %w", err)
	}
	var errClass, errMsg string
	if r.Error != nil {
		errClass, errMsg = r.Error.Class, ErrorText(r.Error.Message)
	}
	path := f.PlaybookPath
	if path == "" {
		path = playbookPath(r.Playbook.Path)
	}
	return append(dst, b.text(boxRunID, r.RunID), b.text(boxPlaybook, r.Playbook.Name), b.text(boxPath, path), r.Playbook.SHA256, roles, textArg(string(r.Status)),
		b.int(boxRunStart, ms(r.StartedAt)), b.int(boxRunEnd, ms(r.FinishedAt)), r.DurationMS, inputsArg(r.Inputs), absPath(f.ReportPath), errClass, errMsg, r.ResumedFrom,
		textArg(string(f.Trigger)), b.text(boxStartedBy, f.StartedBy), slotMS(f.Slot)), nil
}

// InputsArg is the inputs column of a run row: inputs as the run's report
// shows them (secret values masked), as JSON, cut when they are too long
// for a row.
func InputsArg(inputs map[string]any) string {
	if inputs == nil {
		return "{}"
	}
	data, err := json.Marshal(inputs)
	if err != nil {
		data = []byte("{}")
	}
	if len(data) > maxInputsJSON {
		data, _ = json.Marshal(map[string]string{"[cut]": fmt.Sprintf("inputs were %d bytes of JSON; the report has them", len(data))})
	}
	return string(data)
}

// inputsArg is InputsArg boxed, without an allocation for a run without
// inputs.
func inputsArg(inputs map[string]any) any {
	if len(inputs) == 0 {
		return textArg("{}")
	}
	return InputsArg(inputs)
}

// ErrorText is an error message as a row's text column holds it: cut to
// the rows' limit, valid UTF-8, and without NUL bytes, which PostgreSQL's
// text cannot hold (an error quoting a response or a decoded value may
// carry them): both stores write U+FFFD in their place, so that a run
// whose error holds one is recorded, and recorded alike.
func ErrorText(s string) string {
	return strings.ReplaceAll(report.CapString(s, maxErrorMessage), "\x00", "\uFFFD")
}

// slotMS is a slot's column: Unix milliseconds, or NULL for none.
func slotMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

// StartColumns are the columns of StartArgs, in order.
const StartColumns = `id, playbook, path, sha256, roles, status, started_at, report_path, resumed_from, owner, triggered_by, slot, started_by`

// StartArgs are the StartColumns of a run that starts (RecordStart) for
// owner, with started the start time in Unix milliseconds.
func StartArgs(run Run, owner string, started int64) ([]any, error) {
	return appendStart(make([]any, 0, startValues), run, owner, started)
}

// startValues is the number of StartColumns.
const startValues = 13

// appendStart appends StartArgs to dst; owner is a string, boxed by the
// caller once for all its runs. The status, trigger and roles are boxed
// once (textArg, rolesArg), as a run row's.
func appendStart(dst []any, run Run, owner any, started int64) ([]any, error) {
	roles, err := rolesArg(run.Roles)
	if err != nil {
		return nil, fmt.Errorf("history: roles: %w", err)
	}
	return append(dst, run.ID, run.Playbook, playbookPath(run.Path), run.SHA256, roles, textArg(string(StatusRunning)), started, absPath(run.ReportPath), run.ResumedFrom, owner,
		textArg(string(triggerOrCLI(run.Trigger))), msOrNil(run.Slot), run.StartedBy), nil
}

// SlotRunColumns are the columns of SlotRunArgs, in order.
const SlotRunColumns = `id, playbook, path, sha256, status, started_at, finished_at, duration_ms,
	error_class, error_message, triggered_by, slot, blocked_by, owner`

// SlotRunArgs are the SlotRunColumns of the run row of a slot that did
// not become a run (skipped, missed or failed); ok is false for outcomes
// that have none.
func SlotRunArgs(sl Slot) (args []any, ok bool) {
	var status report.Status
	class := ""
	switch sl.Outcome {
	case SlotSkipped:
		status = report.StatusSkipped
	case SlotMissed:
		status = StatusMissed
	case SlotFailed:
		status, class = report.StatusFailed, "system"
	default:
		return nil, false
	}
	return []any{slotRowID(sl.At, sl.Slot), sl.Playbook, playbookPath(sl.Path), sl.SHA256, string(status), ms(sl.At), ms(sl.At), int64(0),
		class, ErrorText(sl.Message), string(TriggerSchedule), ms(sl.Slot), sl.BlockedBy, ""}, true
}

// ScanRun reads a row of RunColumns, and leaves Run.DryRun false.
// RunColumns, StartColumns and FinishedColumns are the columns every
// writer of run rows shares, and leave dry_run out: each store writes and
// reads it after them, as this one does (startRow, finishedRow, scanRun)
// and as the PostgreSQL store does with the inputs of a start.
func ScanRun(sc interface{ Scan(...any) error }) (Run, error) { return scanRunColumns(sc) }

// RunColumns are the columns ScanRun reads, in order.
const RunColumns = `id, playbook, path, sha256, roles, status, started_at, finished_at, duration_ms,
	inputs, report_path, error_class, error_message, resumed_from, triggered_by, slot, blocked_by, started_by`

// InterruptedMessage begins the error message of a run marked
// interrupted; why its report, if any, was not taken as its end follows.
const InterruptedMessage = "interrupted: its end was never recorded: the arsenal-run process recording it ended first " +
	"(killed, crashed, the machine went down, or the state dir's disk was full)"

// Summarise groups (name, value) pairs as Stats does: one group per
// name, sorted by name, each with its count, errors and nearest-rank
// percentiles of the values.
type Summary struct {
	Name          string
	Count, Errors int64
	// Valued is how many rows had a value: those the percentiles are of.
	Valued        int64
	P50, P95, P99 int64
}

// Summarise returns the Summary of each name of rows, sorted by name.
func Summarise(rows []SummaryRow) []Summary {
	groups := map[string]*group{}
	for _, r := range rows {
		g := groups[r.Name]
		if g == nil {
			g = &group{name: r.Name}
			groups[r.Name] = g
		}
		g.count++
		g.errors += r.Error
		if !r.NoValue {
			g.durations = append(g.durations, r.Value)
		}
	}
	out := make([]Summary, 0, len(groups))
	for _, g := range sortGroups(groups) {
		out = append(out, Summary{Name: g.name, Count: g.count, Errors: g.errors, Valued: int64(len(g.durations)), P50: g.p(50), P95: g.p(95), P99: g.p(99)})
	}
	return out
}

// SummaryRow is one call or run for Summarise: its name, duration, and 1
// when it failed. With NoValue its duration is not known (an interrupted
// run's): it counts, but not in the percentiles.
type SummaryRow struct {
	Name    string
	Value   int64
	Error   int64
	NoValue bool
}

// playbookPath is the path a run's playbook is recorded with: absolute,
// as the recording process's working directory is not the reader's; an
// operation executed alone is recorded as "operation OP"
// (report.OperationPath), which is no file and is kept as it is.
func playbookPath(p string) string {
	if strings.HasPrefix(p, report.OperationPath) {
		return p
	}
	return absPath(p)
}
