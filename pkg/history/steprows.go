package history

import (
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// stepRows flattens a report into the values of step rows. A row is an
// operation call (call = 1, what Stats counts) when it ran and is not
// broken down further: a plain step without an attempt log, an item
// without one, or one attempt. A fan-out step's own row and a retried
// step's own row carry the totals and are not calls; reused steps did not
// run in this run. The attempts an attempt log leaves out have rows of
// kind omitted in their place (omittedRows).
//
// The steps of a playbook.run step's sub-run follow its rows (after its
// items' for a fan-out), each named by its path from the top-level step
// as the report's renderings name them, "call/say", "call/l2/check" a
// level deeper, and by the item's label for the run of a fan-out's item,
// "fan[web-1]/say", or its index for an item without one, "fan[1]/say",
// as the sub-run's events name it (parent_step); a nested step of a handler section or a rescue step is
// named with it ("call/on_failure/page"). They are in the section of the
// top-level step, and are calls as a top-level step's rows are, so that
// the operations a sub-playbook ran count in Stats. A step id has no
// "/", so a row's id with one is a nested step's.
//
// In a dry run the playbook.run steps are not calls: they ran their
// sub-playbooks dry, without their writes, in a fraction of the time a
// real run takes, and would pull the percentiles of playbook.run down,
// as no other write step of a dry run (which does not run) does.
func stepRows(r *report.Report) [][]any {
	values := appendStepRows(make([]any, 0, stepRowsHint(r)*stepValues), r, nil)
	rows := make([][]any, len(values)/stepValues)
	for i := range rows {
		rows[i] = values[i*stepValues : (i+1)*stepValues : (i+1)*stepValues]
	}
	return rows
}

// appendStepRows appends the values of r's step rows (stepRows) to dst,
// stepValues a row, boxing those that repeat through b: the rows of a
// batch go in one slice, and a value the row before boxed is not boxed
// again.
func appendStepRows(dst []any, r *report.Report, b *boxes) []any {
	w := rowWriter{runID: b.text(boxRunID, r.RunID), dry: r.DryRun, b: b, rows: dst}
	for i := range r.Steps {
		s := &r.Steps[i]
		w.step(s, s.ID, section(s))
	}
	return w.rows
}

// stepRowsHint is about how many step rows r has: its steps, their items
// and attempts, without those of sub-runs; room for them made at once
// spares a fan-out of 100,000 items the copies of a slice grown a
// quarter at a time.
func stepRowsHint(r *report.Report) int {
	n := 0
	for i := range r.Steps {
		s := &r.Steps[i]
		n += 1 + len(s.Items) + len(s.AttemptLog)
	}
	return n
}

// rowWriter collects the values of the step rows of a run.
type rowWriter struct {
	runID any
	dry   bool // a dry run's: its playbook.run steps are not calls
	b     *boxes
	rows  []any // stepValues a row
}

// step adds the rows of s, named id in section sec, then those of its
// sub-runs.
func (w *rowWriter) step(s *report.Step, id, sec string) {
	ran := !w.dry || s.Op != "playbook.run"
	call := boolInt(ran && s.StartedAt != nil && s.Attempts > 0 && !s.Reused && len(s.Items) == 0 && len(s.AttemptLog) == 0)
	stepID, section, op := w.b.text(boxStepID, id), w.b.text(boxSection, sec), w.b.text(boxOp, s.Op)
	w.rows = append(w.rows, w.runID, stepID, section, "step", nil, s.Attempts, op, textArg(string(s.Status)), errClass(s.Error), w.startOf(s.StartedAt), s.DurationMS, call)
	w.rows = append(appendResources(w.rows, s.Output, s.Cached || s.Reused), boolInt(s.Ignored && s.Status == report.StatusFailed))
	if s.Reused {
		return
	}
	if len(s.Items) == 0 {
		w.attempts(stepID, section, op, nil, s.AttemptLog, s.AttemptsOmitted, s.AttemptsOmittedFailed, ran)
	}
	for j := range s.Items {
		it := &s.Items[j]
		call := boolInt(ran && it.StartedAt != nil && it.Attempts > 0 && len(it.AttemptLog) == 0)
		item := any(it.Index)
		w.rows = append(w.rows, w.runID, stepID, section, "item", item, it.Attempts, op, textArg(string(it.Status)), errClass(it.Error), w.startOf(it.StartedAt), it.DurationMS, call)
		w.rows = append(appendResources(w.rows, it.Output, it.Cached), 0)
		w.attempts(stepID, section, op, item, it.AttemptLog, it.AttemptsOmitted, it.AttemptsOmittedFailed, ran)
	}
	w.sub(s.Sub, id, sec)
	for i, sub := range s.Subs {
		w.sub(sub, id+"["+report.SubItemName(s, i)+"]", sec)
	}
}

// startOf is the started_at value of a row: t in Unix milliseconds, or
// NULL when it did not start.
func (w *rowWriter) startOf(t *time.Time) any {
	if t == nil {
		return nil
	}
	return w.b.int(boxStepStart, ms(*t))
}

// sub adds the rows of the steps of a sub-run, under path.
func (w *rowWriter) sub(sub *report.SubRun, path, sec string) {
	if sub == nil {
		return
	}
	for i := range sub.Steps {
		s := &sub.Steps[i]
		w.step(s, path+"/"+nestedLabel(s), sec)
	}
}

// nestedLabel names a step of a sub-run in its path, as the report's
// renderings do: its id, after its section for the handler sections, and
// after the step it rescues and "rescue" for a rescue step.
func nestedLabel(s *report.Step) string {
	switch {
	case s.RescueOf != "":
		return s.RescueOf + "/rescue/" + s.ID
	case s.Section != "" && s.Section != "steps":
		return s.Section + "/" + s.ID
	}
	return s.ID
}

// attempts adds the rows of the attempts of a step (or of its item),
// whose id, section and op are the step row's, and of the attempts its
// log left out; they are calls when ran.
func (w *rowWriter) attempts(id, sec, op, item any, log []report.Attempt, omitted, failed int, ran bool) {
	at := omittedAt(log)
	for i, a := range log {
		if i == at && omitted > 0 {
			w.omitted(id, sec, op, item, ms(log[i-1].StartedAt), omitted, failed)
		}
		st := report.StatusSucceeded
		if a.Error != nil {
			st = attemptStatus(a.Error.Class)
		}
		w.rows = append(w.rows, w.runID, id, sec, "attempt", item, a.Attempt, op, textArg(string(st)), errClass(a.Error), ms(a.StartedAt), a.DurationMS, boolInt(ran), nil, nil, nil, 0)
	}
	if at == len(log) && omitted > 0 && len(log) > 0 {
		// A log whose numbering does not say where: after it.
		w.omitted(id, sec, op, item, ms(log[len(log)-1].StartedAt), omitted, failed)
	}
}

func errClass(e *report.Error) string {
	if e == nil {
		return ""
	}
	return e.Class
}
