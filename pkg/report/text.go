package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// Icon is the one-character mark of a status in text and Markdown.
func Icon(s Status) string {
	switch s {
	case StatusSucceeded:
		return "✓"
	case StatusFailed:
		return "✗"
	case StatusSkipped:
		return "-"
	case StatusDenied:
		return "⊘"
	case StatusCancelled:
		return "■"
	case statusRunning:
		return "●"
	case statusQueued:
		return "○"
	case statusInterrupted:
		return "↯"
	}
	return "?"
}

// WriteText writes the summary a person reads at the end of a run: one line
// for the run, a table of steps (under a playbook.run step, the steps of
// its sub-runs that did not succeed: textNested), and the error of each
// step that did not succeed. Output values are shown as JSON on one line,
// so a list reads ["a","b"] and null reads null, and a string as it is
// (textOutput). The summary goes to a
// terminal, so every value copied from the report is cleaned of terminal
// control sequences (termtext.Clean); the report itself keeps them.
func WriteText(w io.Writer, r *Report) error { return WriteTextFit(w, r, 0) }

// WriteTextFit writes the summary of WriteText for a terminal of width
// columns (0: no limit, every row one line, as scripts read it): a NOTE
// longer than the room beside the other columns wraps at spaces under
// itself (fitNotes), rather than mid-word into the next row, the run's
// line wraps at spaces too, and runs of steps that succeeded are folded
// in a long table (textFoldSteps).
func WriteTextFit(w io.Writer, r *Report, width int) error {
	var b strings.Builder
	took := "in " + FormatMS(r.DurationMS)
	if r.Status == statusInterrupted {
		// Its process died: the time is until its last recorded step
		// ended, as 'history' gives it (≥), not how long it ran.
		took = "after at least " + FormatMS(r.DurationMS)
	}
	fmt.Fprintf(&b, "%s %s %s %s (run %s)", Icon(r.Status), termtext.Line(r.Playbook.Name), termtext.Line(string(r.Status)), took, termtext.Line(r.RunID))
	switch n := ignoredCount(r.Steps); n {
	case 0:
	case 1:
		b.WriteString("; 1 step failed but was ignored (continue_on_error)")
	default:
		fmt.Fprintf(&b, "; %d steps failed but were ignored (continue_on_error)", n)
	}
	switch n := rescuedCount(r.Steps); n {
	case 0:
	case 1:
		b.WriteString("; 1 step failed but was rescued")
	default:
		fmt.Fprintf(&b, "; %d steps failed but were rescued", n)
	}
	for _, note := range NotifyNotes(r.Steps) {
		b.WriteString("; " + termtext.Line(note))
	}
	if width > 0 && termtext.Width(b.String()) > width {
		// A long playbook name, the run id and the notes: wrapped at
		// spaces, the lines after the first indented under it.
		head := b.String()
		b.Reset()
		for i, part := range termtext.Wrap(head, max(width-2, 20)) {
			if i > 0 {
				b.WriteString("\n  ")
			}
			b.WriteString(part)
		}
	}
	b.WriteString("\n")
	if r.DryRun {
		b.WriteString("  dry run: only read operations were executed\n")
	}
	// A resumed run's steps that ran again or were reused are read
	// against the run it resumed: the summary names it, as Markdown,
	// JUnit and 'history show' do.
	if r.ResumedFrom != "" {
		fmt.Fprintf(&b, "  resumed from run %s\n", termtext.Line(r.ResumedFrom))
	}
	if r.Status == statusInterrupted {
		b.WriteString("  the process running it ended first: the steps below finished before that, the others are not known\n")
	}
	for _, w := range r.Warnings {
		writeIndented(&b, "  warning: ", w, "    ", width)
	}
	for _, n := range BudgetNotes(r) {
		writeIndented(&b, "  "+n.Label+": ", n.Text, "    ", width)
	}
	// Aligned in terminal columns, not characters: an item labelled in
	// Japanese keeps the columns after it in line.
	var steps strings.Builder
	fmt.Fprintln(&steps, "  \tSTEP\tOP\tSTATUS\tTIME\tTRIES\tNOTE")
	textStepRows(&steps, r.Steps, width > 0 && len(r.Steps) > textFoldSteps)
	b.WriteString(fitNotes(termtext.Align(steps.String(), 2), width))
	if len(r.Outputs) > 0 {
		b.WriteString("outputs:\n")
		for _, k := range sortedKeys(r.Outputs) {
			textOutput(&b, k, r.Outputs[k])
		}
	}
	for _, k := range sortedKeys(r.OutputErrors) {
		writeIndented(&b, "  output "+termtext.Line(k)+" could not be computed: ", r.OutputErrors[k], "    ", width)
	}
	if r.Error != nil {
		writeIndented(&b, "error ("+termtext.Line(r.Error.Class)+"): ", r.Error.Message, "  ", width)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeIndented writes head and the text s, each line of s after the
// first indented with pad and, for a terminal of width columns, wrapped
// (termtext.Indent).
func writeIndented(b *strings.Builder, head, s, pad string, width int) {
	b.WriteString(termtext.Indent(head, s, pad, width))
}

// textOutputLines is how many lines of a string output of several lines
// the summary shows, under the output's name.
const textOutputLines = 20

// textOutput writes one run output: a string as it is, on the line of its
// name, or, when it has several lines, indented under it (at most
// textOutputLines of them); anything else as JSON on one line. A line
// is cut at 200 characters.
func textOutput(b *strings.Builder, k string, v any) {
	s, ok := v.(string)
	if !ok {
		fmt.Fprintf(b, "  %s: %s\n", termtext.Line(k), clip(termtext.Line(inline(v)), 200))
		return
	}
	s = strings.TrimRight(termtext.Clean(s), "\n")
	if !strings.Contains(s, "\n") {
		fmt.Fprintf(b, "  %s: %s\n", termtext.Line(k), clip(termtext.Line(s), 200))
		return
	}
	lines := strings.Split(s, "\n")
	fmt.Fprintf(b, "  %s:\n", termtext.Line(k))
	for _, l := range lines[:min(len(lines), textOutputLines)] {
		b.WriteString(strings.TrimRight("    "+clip(termtext.Line(l), 200), " ") + "\n")
	}
	if n := len(lines) - textOutputLines; n > 0 {
		fmt.Fprintf(b, "    … %d more lines; the report has them all\n", n)
	}
}

// textNoteLimit is the most characters of a row's note: an error's first
// and last lines (oneLine), cut in the middle past that.
const textNoteLimit = 120

// textMaxItems is how many labelled items the summary lists under their
// step: all of them up to this many, else those that did not succeed,
// those that failed or were denied first (shownItems).
const textMaxItems = 20

// textItems lists, under a fan-out step, its items, one row each, when
// any of them has a label (the hosts of a fleet step, the combinations of
// a matrix); an item without one is named by its
// index, as its log lines name it ([2]), not left blank.
func textItems(w io.Writer, s *Step) {
	if !slices.ContainsFunc(s.Items, func(it Item) bool { return it.Label != "" }) {
		return
	}
	shown, more := shownItems(s.Items, textMaxItems, len(s.Items) <= textMaxItems)
	for _, i := range shown {
		it := &s.Items[i]
		note := it.Reason
		if !showsReason(it) {
			note = oneLine(errText(RanError(it.Error, it.Authorization)), textNoteLimit)
		}
		if note == "" {
			note = itemCacheNote(it)
		}
		if note == "" && it.Status == StatusSucceeded && !s.Reused {
			note = retriedNote(it.Attempts, it.AttemptLog, it.AttemptsOmittedFailed, textNoteLimit)
		}
		name := clip(cell(it.Label), 40)
		if it.Label == "" {
			name = fmt.Sprintf("[%d]", it.Index)
		}
		fmt.Fprintf(w, "  \t  %s %s\t\t%s\t%s\t%d\t%s\n", Icon(it.Status), name, cell(string(it.Status)), durText(it.StartedAt, it.DurationMS), it.Attempts, midClip(cell(note), textNoteLimit))
	}
	if more > 0 {
		fmt.Fprintf(w, "  \t  …\t\t\t\t\tmore items in the report\n")
	}
}

// cell is s cleaned for one cell of the step table: no control sequences,
// and no tab, which would shift the columns.
func cell(s string) string { return termtext.Line(s) }

func itemSummary(items []Item) string {
	counts := map[Status]int{}
	for _, it := range items {
		counts[it.Status]++
	}
	if len(items) == 0 {
		return EmptyFanOutNote
	}
	parts := []string{"1 item"}
	if len(items) != 1 {
		parts[0] = fmt.Sprintf("%d items", len(items))
	}
	for _, s := range []Status{StatusSucceeded, StatusFailed, StatusDenied, StatusCancelled, StatusSkipped} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

// FormatMS renders a duration in milliseconds for people: 850ms, 1.5s,
// 2m3s, 1h30m, 2h (not Go's 2h0m0s).
func FormatMS(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", ms)
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	s := d.Round(time.Second).String() // 2m3s, 2m0s, 1h30m0s, 2h0m0s
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2] // 2m, 1h30m, 2h0m
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2] // 2h
	}
	return s
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
