package history

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// WriteRun is WriteRunReport without the run's report: the step rows as
// the history recorded them.
func WriteRun(w io.Writer, run Run, rows []StepRow, asJSON bool) error {
	return WriteRunReport(w, run, rows, nil, asJSON)
}

// WriteRunReport writes one run with its step rows for `arsenal-run
// history show`: a summary and a table for people, or with asJSON one
// object {"run": {...}, "steps": [...]}. Rows of retry attempts (and of
// the attempts a report left out, KindOmitted) are left out of the
// table; the JSON has every row. rep is the run's report, or
// nil when it has none or it cannot be read: the history keeps of an item
// its index and error class only, so the report, when there is one of
// this run, gives each row its item's label and its error message (or
// the reason it did not run). In the table, a fan-out of more than
// maxItems items lists those that did not succeed, up to maxItems, and
// counts the others on one line, as the summary of `run` does.
func WriteRunReport(w io.Writer, run Run, rows []StepRow, rep *report.Report, asJSON bool) error {
	if asJSON {
		return writeRunJSON(w, run, rows, rep)
	}
	return WriteRunReportFit(w, run, rows, rep, 0)
}

// WriteRunReportFit writes the text of WriteRunReport fitted to a
// terminal of width columns (0: no limit): an ERROR too long for the
// width wraps under itself, as the summary of 'run' wraps its notes,
// rather than into the next row.
func WriteRunReportFit(w io.Writer, run Run, rows []StepRow, rep *report.Report, width int) error {
	if rep != nil && rep.RunID != run.ID {
		rep = nil
	}
	details := reportDetails(rep)
	var b strings.Builder
	// The playbook's path is a file name as it was given, and the rows
	// come from a file anyone who can write the state dir can change:
	// nothing from them reaches the terminal uncleaned.
	fmt.Fprintf(&b, "run       %s\nplaybook  %s (%s)\nstatus    %s %s\nstarted   %s\n", termtext.Clean(run.ID), termtext.Clean(run.Playbook), termtext.Clean(run.Path),
		StatusIcon(run.Status), termtext.Clean(string(run.Status)), run.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	switch {
	case run.Status == StatusInterrupted:
		fmt.Fprintf(&b, "duration  at least %s (until its last recorded step ended)\n", report.FormatMS(run.DurationMS))
	case run.FinishedAt != nil:
		fmt.Fprintf(&b, "duration  %s\n", report.FormatMS(run.DurationMS))
	}
	if run.DryRun {
		b.WriteString("dry run   only read operations were executed\n")
	}
	writeOrigin(&b, run)
	if run.Error != nil {
		fmt.Fprintf(&b, "error     %s\n", errorText(run.Error, 200))
	}
	switch {
	case run.ReportPath == "":
	case writtenReport(run) == "":
		b.WriteString("report    none: the process ended before it wrote one\n")
	case run.Status != StatusRunning && !exists(run.ReportPath):
		// Removed since (by hand, or a retention of reports kept
		// elsewhere): the rows below are the history's own.
		fmt.Fprintf(&b, "report    %s is gone; the steps below are the history's record, without their messages\n", termtext.Clean(run.ReportPath))
	default:
		fmt.Fprintf(&b, "report    %s\n", termtext.Clean(run.ReportPath))
	}
	if rep != nil {
		// What the summary's first line of 'run' says of the notify:
		// entries that did not go out as written.
		for _, note := range report.NotifyNotes(rep.Steps) {
			fmt.Fprintf(&b, "notify    %s\n", termtext.Line(note))
		}
		writeRunNotes(&b, rep)
	}
	if run.Status == StatusInterrupted {
		b.WriteString("\nThe process running it ended first; the steps below finished before that.\n")
	}
	b.WriteString("\n")
	if len(rows) == 0 {
		b.WriteString("no steps recorded\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	more := "more items; --json lists every row"
	if rep != nil {
		more = "more items in the report"
	}
	// Aligned in terminal columns, as the summary of `run` is.
	var table strings.Builder
	fmt.Fprintln(&table, "STEP\tOP\tSTATUS\tTRIES\tDURATION\tERROR")
	for _, g := range groupRows(rows) {
		if g.step != nil {
			writeRow(&table, g.step, details)
		}
		writeItems(&table, g.items, details, more)
	}
	b.WriteString(report.FitLastColumn(termtext.Align(table.String(), 2), "ERROR", width))
	_, err := io.WriteString(w, b.String())
	return err
}

// writeItems writes the rows of a step's items, sorted by index: all of
// them up to maxItems, else those that did not succeed, up to maxItems
// and a line saying how many more (more says where they are), then one
// line counting those that succeeded. Of those that did not succeed, the
// items that failed or were denied are listed before those cancelled or
// skipped, as the summary of `run` does: a fan-out whose fail_fast
// cancelled the items around the one that failed still lists that one.
func writeItems(w io.Writer, items []StepRow, details map[rowKey]detail, more string) {
	if len(items) <= maxItems {
		for i := range items {
			writeRow(w, &items[i], details)
		}
		return
	}
	var failed, other []int
	succeeded := 0
	for i := range items {
		switch items[i].Status {
		case report.StatusSucceeded:
			succeeded++
		case report.StatusFailed, report.StatusDenied:
			failed = append(failed, i)
		default:
			other = append(other, i)
		}
	}
	failed = failed[:min(len(failed), maxItems)]
	listed := append(failed, other[:min(len(other), maxItems-len(failed))]...)
	slices.Sort(listed)
	for _, i := range listed {
		writeRow(w, &items[i], details)
	}
	if hidden := len(items) - succeeded - len(listed); hidden > 0 {
		fmt.Fprintf(w, "  …\t\t\t\t\t%d %s\n", hidden, more)
	}
	if succeeded > 0 {
		n := fmt.Sprintf("%d items", succeeded)
		if succeeded == 1 {
			n = "1 item"
		}
		fmt.Fprintf(w, "  %s[…]\t%s\t%s %s\t\t\t%s\n", stepName(&items[0], details[keyOf(items[0])]), oneLine(items[0].Op, 80), StatusIcon(report.StatusSucceeded), report.StatusSucceeded, n)
	}
}

// maxItems is how many items of a fan-out the table of `history show`
// lists: all of them up to this many, else those that did not succeed,
// as the summary of `run` does.
const maxItems = 20

// rescuedNote marks a failed step whose rescue steps recovered it, as
// the summary of `run` marks it.
const rescuedNote = "rescued"

// cachedNote marks a step or item whose output came from the result
// cache, as the summary of `run` does.
const cachedNote = "cached"

// noteLimit is the most characters of a row's error: the width the
// summary of `run` gives its notes.
const noteLimit = 120

// rowKey finds a row's step or item in the report: its section, step id
// and item index (-1 for a step row).
type rowKey struct {
	section, step string
	item          int
}

// keyOf is the key of row r; a row without a section is of "steps", as
// the report's rows are (section).
func keyOf(r StepRow) rowKey {
	k := rowKey{r.Section, r.StepID, -1}
	if k.section == "" {
		k.section = "steps"
	}
	if r.Item != nil {
		k.item = *r.Item
	}
	return k
}

// detail is what the report says of a step or item that the history
// does not keep. Its text is as the report holds it, not cleaned.
type detail struct {
	label, message, reason string
	// rescued is set on a step that failed and whose rescue steps
	// recovered it; rescueOf names the step a rescue step (and each of
	// its items) belongs to.
	rescued  bool
	rescueOf string
	// cached: the output came from the result cache; the operation did
	// not run, so its row has no tries.
	cached bool
	// notification is what a notify: entry's message reached
	// (report.NotificationOf); nil for another step.
	notification *report.Notification
	// noItems: a fan-out whose foreach gave no item; it has no item rows
	// to show what it did.
	noItems bool
	// notStarted: an item that never started ("not started: item 0
	// failed and fail_fast is on"); its row shows that reason, as the
	// summary of 'run' does, its error's class alone would not say it.
	notStarted bool
}

// note is the error of a row: "class: message", or the reason it did not
// run; "" when the report has neither.
func (d detail) note() string {
	if d.message != "" && !d.notStarted {
		return d.message
	}
	return d.reason
}

// reportDetails indexes the labels, errors and reasons of rep's steps and
// items, and what became of a failure a rescue recovered, by their rows'
// keys; nil for no report. The steps of sub-runs are indexed too, by the
// paths their rows have (stepRows): a nested row carries what a top-level
// one does. The history's rows keep neither the rescued mark nor the step
// a rescue step belongs to: without the report, a rescued step shows as a
// plain failure and a rescue step by its section.
func reportDetails(rep *report.Report) map[rowKey]detail {
	if rep == nil {
		return nil
	}
	out := map[rowKey]detail{}
	for i := range rep.Steps {
		s := &rep.Steps[i]
		addDetails(out, s, "", s.ID, section(s))
	}
	return out
}

// addDetails indexes the details of step s, whose row is id in section
// sec, of its items, and of the steps of its sub-runs. prefix is the path
// of the sub-run s is a step of ("call/"), "" for a top-level step: a
// nested rescue step rescues the step of that path.
func addDetails(out map[rowKey]detail, s *report.Step, prefix, id, sec string) {
	rescueOf := ""
	if s.RescueOf != "" {
		rescueOf = prefix + s.RescueOf
	}
	out[rowKey{sec, id, -1}] = detail{message: errMessage(report.RanError(s.Error, s.Authorization)), reason: s.Reason, rescued: s.Rescued, rescueOf: rescueOf, cached: s.Cached,
		noItems: s.ItemCounts != nil && len(s.Items) == 0, notification: report.NotificationOf(s)}
	for j := range s.Items {
		it := &s.Items[j]
		out[rowKey{sec, id, it.Index}] = detail{label: it.Label, message: errMessage(report.RanError(it.Error, it.Authorization)), reason: it.Reason, rescueOf: rescueOf, cached: it.Cached,
			notStarted: it.StartedAt == nil && it.Reason != ""}
	}
	if s.Reused {
		return // its rows, as stepRows writes them, stop at the step's
	}
	sub := func(run *report.SubRun, path string) {
		if run == nil {
			return
		}
		for i := range run.Steps {
			ns := &run.Steps[i]
			addDetails(out, ns, path+"/", path+"/"+nestedLabel(ns), sec)
		}
	}
	sub(s.Sub, id)
	for i, run := range s.Subs {
		sub(run, id+"["+report.SubItemName(s, i)+"]")
	}
}

// errMessage is an error as a row shows it, "class: message"; "" for
// none.
func errMessage(e *report.Error) string {
	if e == nil {
		return ""
	}
	return e.Class + ": " + e.Message
}

// rowGroup is a step row with the rows of its items. A running or
// interrupted run records each item as it finishes, before its step (which
// it may not have reached): the group stands where its first row does.
type rowGroup struct {
	step  *StepRow
	items []StepRow
}

// groupRows groups the step and item rows (not the attempts, nor the
// rows of those left out, nor the rows of sub-playbooks' steps, whose
// failures the report lists after the table) by step, in
// the order they were recorded, with each step's items by index.
func groupRows(rows []StepRow) []*rowGroup {
	var groups []*rowGroup
	last := map[rowKey]*rowGroup{}
	for i := range rows {
		r := &rows[i]
		if r.Kind == "attempt" || r.Kind == KindOmitted || r.Nested() {
			continue
		}
		k := keyOf(*r)
		k.item = -1
		g := last[k]
		if g == nil || (r.Item == nil && g.step != nil) {
			g = &rowGroup{}
			groups = append(groups, g)
			last[k] = g
		}
		if r.Item == nil {
			g.step = r
		} else {
			g.items = append(g.items, *r)
		}
	}
	for _, g := range groups {
		slices.SortStableFunc(g.items, func(a, b StepRow) int { return cmp.Compare(*a.Item, *b.Item) })
	}
	return groups
}

// stepName is a row's step as the table names it, as the summary of
// `run` does: its id, after its section for the handler sections, and
// after the step it rescues and "rescue" for a rescue step the report
// (d) says that of.
func stepName(r *StepRow, d detail) string {
	id := oneLine(r.StepID, 80)
	switch {
	case d.rescueOf != "":
		id = oneLine(d.rescueOf, 80) + "/rescue/" + id
	case r.Section != "" && r.Section != "steps":
		id = oneLine(r.Section, 40) + "/" + id
	}
	return id
}

// writeRow writes one step or item row of the table. An item is named by
// its label when the report gives one (a host's name), else by its index;
// the error is the report's message, cut in its middle to noteLimit, else
// the class the history kept. Both are the report's text, cleaned of
// control sequences.
func writeRow(w io.Writer, r *StepRow, details map[rowKey]detail) {
	d := details[keyOf(*r)]
	id := stepName(r, d)
	switch {
	case r.Item == nil:
	case oneLine(d.label, 40) != "":
		id = fmt.Sprintf("  %s[%s]", id, oneLine(d.label, 40))
	default:
		id = fmt.Sprintf("  %s[%d]", id, *r.Item)
	}
	dur := "-"
	if r.StartedAt != nil {
		dur = report.FormatMS(r.DurationMS)
	}
	errText := oneLine(r.ErrorClass, 40)
	if n := d.note(); n != "" && r.Status != report.StatusSucceeded {
		errText = midLine(n, noteLimit)
	}
	// A notify entry's row says what its message reached, unless its
	// error already does: "not sent", "sent to 2 of 3 recipients".
	if what := report.NotificationUnsaid(d.notification, errText); what != "" && r.Item == nil {
		errText = strings.TrimSuffix(what+"; "+errText, "; ")
	}
	switch {
	case d.rescued:
		errText += " (" + rescuedNote + ")"
	case r.Ignored:
		errText += " (" + report.IgnoredNote + ")"
	case d.cached:
		errText = strings.TrimSpace(errText + " (" + cachedNote + ")")
	case d.noItems && errText == "":
		errText = report.EmptyFanOutNote
	}
	fmt.Fprintf(w, "%s\t%s\t%s %s\t%d\t%s\t%s\n", id, oneLine(r.Op, 80), StatusIcon(r.Status), oneLine(string(r.Status), 20), r.Attempt, dur, errText)
}

// midLine is s for a table cell, as oneLine, but cut in its middle, at a
// space near the cut when there is one: an error often says why at its
// end (a command's stderr), and the summary of `run` keeps both ends too.
func midLine(s string, n int) string {
	s = oneLine(s, math.MaxInt)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	const slack = 16 // how far a cut may move to fall between words
	head, tail := string(r[:(n-3)/2]), string(r[len(r)-(n-3-(n-3)/2):])
	if i := strings.LastIndexByte(head, ' '); i >= 0 && utf8.RuneCountInString(head[i:]) <= slack {
		head = head[:i]
	}
	if i := strings.IndexByte(tail, ' '); i >= 0 && utf8.RuneCountInString(tail[:i]) <= slack {
		tail = tail[i+1:]
	}
	return strings.TrimRight(head, " ") + " … " + strings.TrimLeft(tail, " ")
}

// writeOrigin writes how and by whom the run was started: its trigger
// (with the slot of a scheduled run), who asked and with which roles, and
// the run it resumed or, for a skipped slot, the run in its way.
func writeOrigin(b *strings.Builder, run Run) {
	trigger := string(run.Trigger)
	if trigger == "" {
		trigger = string(TriggerCLI)
	}
	if run.Slot != nil {
		trigger += ", slot " + run.Slot.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	fmt.Fprintf(b, "trigger   %s\n", termtext.Clean(trigger))
	roles := termtext.Clean(strings.Join(run.Roles, ", "))
	by := termtext.Clean(run.StartedBy)
	switch {
	case by != "" && roles != "":
		fmt.Fprintf(b, "by        %s, roles %s\n", by, roles)
	case by != "":
		fmt.Fprintf(b, "by        %s\n", by)
	case roles != "":
		fmt.Fprintf(b, "roles     %s\n", roles)
	}
	if run.ResumedFrom != "" {
		fmt.Fprintf(b, "resumes   %s\n", termtext.Clean(run.ResumedFrom))
	}
	if run.BlockedBy != "" {
		fmt.Fprintf(b, "blocked   by %s, which was still running then\n", run.BlockedBy)
	}
}

// writtenReport is the run's report path, or "" when its process ended
// before it wrote the report there.
func writtenReport(run Run) string {
	if run.Status == StatusInterrupted && !exists(run.ReportPath) {
		return ""
	}
	return run.ReportPath
}

// exists reports whether path names something that can be stat'ed.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
