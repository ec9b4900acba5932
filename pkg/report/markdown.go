package report

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// Limits that keep a Markdown summary readable and well under the 1 MiB a
// GitHub job summary may hold.
const (
	mdMaxDetails = 20        // failed steps shown in <details>
	mdMaxRows    = 20        // attempt and item rows per step
	mdMaxOutputs = 50        // run outputs in the outputs table
	mdBlockLimit = 4 << 10   // bytes of one error or output block
	mdCellLimit  = 200       // characters of one table cell
	mdTotalLimit = 512 << 10 // bytes of the whole summary
	// mdTableLimit bounds the table of steps, so that the details of the
	// failed steps still fit; mdFooterRoom is kept for the line that
	// says how many more failed.
	mdTableLimit = 256 << 10
	mdFooterRoom = 1 << 10
)

// mdIcon is the emoji GitHub renders in colour for a status.
func mdIcon(s Status) string {
	switch s {
	case StatusSucceeded:
		return "✅"
	case StatusFailed:
		return "❌"
	case StatusSkipped:
		return "⏭️"
	case StatusDenied:
		return "⛔"
	case StatusCancelled:
		return "⏹️"
	case statusInterrupted:
		return "⚠️"
	}
	return "❔"
}

// WriteMarkdown writes a summary of r fit for a CI job summary: a status
// line, a table of steps with status, duration, attempts and error (and
// under a playbook.run step, the steps of its sub-runs that did not
// succeed), the run outputs, and a collapsible <details> block for each failed or denied step
// (at most mdMaxDetails, those that failed the run first: mdDetailed)
// with its error, attempt log, failed items and an output excerpt. Every
// value from the report is escaped, so output text cannot break the table
// or inject markup.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s `%s` %s in %s\n\n", mdIcon(r.Status), mdCode(r.Playbook.Name), mdText(string(r.Status)), FormatMS(r.DurationMS))
	meta := []string{"run `" + mdCode(r.RunID) + "`", "started " + utc(r.StartedAt)}
	if len(r.Roles) > 0 {
		meta = append(meta, "roles "+mdText(strings.Join(r.Roles, ", ")))
	}
	meta = append(meta, statusCounts(r.Steps))
	b.WriteString(strings.Join(meta, " · ") + "\n\n")
	if r.ResumedFrom != "" {
		fmt.Fprintf(&b, "Resumed from run `%s`.\n\n", mdCode(r.ResumedFrom))
	}
	if r.DryRun {
		b.WriteString("> [!NOTE]\n> Dry run: only read operations were executed.\n\n")
	}
	notes := append(slices.Clone(r.Warnings), NotifyNotes(r.Steps)...)
	for _, n := range BudgetNotes(r) {
		notes = append(notes, n.Label+": "+n.Text)
	}
	if len(notes) > 0 {
		b.WriteString("> [!WARNING]\n")
		for i, note := range notes {
			if i > 0 {
				b.WriteString(">\n")
			}
			fmt.Fprintf(&b, "> %s\n", mdText(note))
		}
		b.WriteString("\n")
	}
	if r.Error != nil {
		fmt.Fprintf(&b, "> [!CAUTION]\n> **%s**: %s\n\n", mdText(r.Error.Class), mdText(oneLine(r.Error.Message, 1000)))
	}
	b.WriteString("| | Step | Op | Status | Time | Tries | Note |\n|:-:|---|---|---|--:|--:|---|\n")
	for i := range r.Steps {
		s := &r.Steps[i]
		var row strings.Builder
		note := stepNote(s, mdCellLimit, true)
		fmt.Fprintf(&row, "| %s | `%s` | `%s` | %s | %s | %d | %s |\n", mdIcon(s.Status), mdCode(stepLabel(s)), mdCode(s.Op), mdText(string(s.Status)), stepTime(s), s.Attempts, mdNote(note))
		mdNested(&row, s)
		mdNestedOutputs(&row, s)
		if b.Len()+row.Len() > mdTableLimit {
			fmt.Fprintf(&b, "| | … | | | | | %d more steps; the report of run `%s` has them all |\n", len(r.Steps)-i, mdCode(r.RunID))
			break
		}
		b.WriteString(row.String())
	}
	b.WriteString("\n")
	mdOutputs(&b, r)
	// Each block is written whole or not at all: a summary cut in its
	// middle could end inside a code fence, and the output shown in it
	// would become markup, or the rest of the job summary code.
	list, more := mdDetailed(r.Steps)
	for i, s := range list {
		var block strings.Builder
		mdDetails(&block, r, s)
		if b.Len()+block.Len() > mdTotalLimit-mdFooterRoom {
			more += len(list) - i
			break
		}
		b.WriteString(block.String())
	}
	if more > 0 {
		fmt.Fprintf(&b, "More steps failed than are shown here (%d more); those that failed the run come first. The report of run `%s` has them all.\n\n", more, mdCode(r.RunID))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdOutputs(b *strings.Builder, r *Report) {
	if len(r.Outputs) == 0 && len(r.OutputErrors) == 0 {
		return
	}
	b.WriteString("| Output | Value |\n|---|---|\n")
	keys := sortedKeys(r.Outputs)
	for i, k := range keys {
		if i == mdMaxOutputs {
			fmt.Fprintf(b, "| … | %d more outputs |\n", len(keys)-i)
			break
		}
		fmt.Fprintf(b, "| `%s` | %s |\n", mdCode(k), mdCell(inline(r.Outputs[k]), mdCellLimit))
	}
	for _, k := range sortedKeys(r.OutputErrors) {
		fmt.Fprintf(b, "| `%s` | ⚠️ not computed: %s |\n", mdCode(k), mdCell(r.OutputErrors[k], mdCellLimit))
	}
	b.WriteString("\n")
}

// mdDetailed picks the failed and denied steps that get a <details> block,
// at most mdMaxDetails, and says how many more there are. The steps that
// failed the run come first, in playbook order, then those whose failure
// was ignored (continue_on_error) or rescued: a run with many ignored
// failures before the one that stopped it must still show that one.
func mdDetailed(steps []Step) (list []*Step, more int) {
	for _, first := range []bool{true, false} {
		for i := range steps {
			s := &steps[i]
			if !failedLike(s.Status) || failedRun(s) != first {
				continue
			}
			if len(list) == mdMaxDetails {
				more++
				continue
			}
			list = append(list, s)
		}
	}
	return list, more
}

// mdDetails writes the collapsible block of one failed step.
func mdDetails(b *strings.Builder, r *Report, s *Step) {
	summary := string(s.Status)
	if s.Error != nil {
		summary = errText(RanError(s.Error, s.Authorization))
	}
	fmt.Fprintf(b, "<details>\n<summary>%s <code>%s</code> %s</summary>\n\n", mdIcon(s.Status), htmlText(clip(plainText(stepLabel(s)), mdCellLimit)), htmlText(oneLine(summary, mdCellLimit)))
	if ignored(s) {
		b.WriteString("**Ignored**: it failed, and `continue_on_error` let the run go on.\n\n")
	} else if rescued(s) {
		b.WriteString("**Rescued**: it failed, and its rescue steps recovered the run.\n\n")
	}
	if what := notificationWord(NotificationOf(s)); what != "" {
		fmt.Fprintf(b, "**Notification**: %s.\n\n", mdText(what))
	}
	if s.Error != nil {
		fmt.Fprintf(b, "**Error** (`%s`)\n\n%s\n", mdCode(s.Error.Class), mdFence(excerpt(s.Error.Message, mdBlockLimit), "text"))
	} else if s.Reason != "" {
		fmt.Fprintf(b, "**Reason**: %s\n\n", mdCell(s.Reason, 1000))
	}
	if len(s.AttemptLog) > 0 {
		b.WriteString("**Attempts**\n\n| # | Started | Time | Result |\n|--:|--:|--:|---|\n")
		for _, row := range attemptRows(s.AttemptLog, s.AttemptsOmittedFailed, mdMaxRows) {
			a := row.Attempt
			if a == nil {
				fmt.Fprintf(b, "| … | | | %s |\n", row.Text())
				continue
			}
			fmt.Fprintf(b, "| %d | %s | %s | %s %s |\n", a.Attempt, offset(r, a.StartedAt), FormatMS(a.DurationMS), mdIcon(attemptStatus(a)), mdCell(attemptResult(a, mdCellLimit), mdCellLimit))
		}
		b.WriteString("\n")
	}
	if len(s.Items) > 0 {
		mdItems(b, s)
	}
	if out := outputText(s.Output); out != "" {
		fmt.Fprintf(b, "**Output**\n\n%s\n", mdFence(excerpt(out, mdBlockLimit), "text"))
	}
	b.WriteString("</details>\n\n")
}

// mdNested writes, under s's row in the table of steps, a row for each
// step of its sub-runs that did not succeed (nestedSteps), marked "↳" so
// that they read as part of s, with the note a step's row has.
func mdNested(b *strings.Builder, s *Step) {
	list, more := nestedSteps(s, nestedMaxRows)
	for _, n := range list {
		ns := n.Step
		fmt.Fprintf(b, "| %s | ↳ `%s` | `%s` | %s | %s | %d | %s |\n", mdIcon(ns.Status), mdCode(clip(plainText(n.Path), mdCellLimit)), mdCode(ns.Op), mdText(string(ns.Status)), stepTime(ns), ns.Attempts, mdNote(nestedNote(&n, mdCellLimit, true)))
	}
	if more > 0 {
		fmt.Fprintf(b, "| | ↳ … | | | | | %d more nested steps in the report |\n", more)
	}
}

// mdItems lists the items of a fan-out step that did not succeed, those
// that failed or were denied first (shownItems).
func mdItems(b *strings.Builder, s *Step) {
	shown, more := shownItems(s.Items, mdMaxRows, false)
	if len(shown) == 0 {
		return
	}
	fmt.Fprintf(b, "**Items that did not succeed** (%s)\n\n| # | Item | Status | Time | Tries | Error |\n|--:|---|---|--:|--:|---|\n", itemSummary(s.Items))
	for _, i := range shown {
		it := &s.Items[i]
		note := it.Reason
		if !showsReason(it) {
			note = oneLine(errText(RanError(it.Error, it.Authorization)), mdCellLimit)
		}
		fmt.Fprintf(b, "| %d | %s | %s %s | %s | %d | %s |\n", it.Index, mdCell(itemName(it), 80), mdIcon(it.Status), mdText(string(it.Status)), durText(it.StartedAt, it.DurationMS), it.Attempts, mdNote(note))
	}
	if more > 0 {
		b.WriteString("| … | | | | | more items; see the JSON report |\n")
	}
	b.WriteString("\n")
}

// htmlText escapes the characters that start markup, leaving quotes as
// they are for readability.
func htmlText(s string) string { return htmlReplacer.Replace(s) }

var htmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// mdReplacer escapes what Markdown or the HTML GitHub allows in Markdown
// would otherwise interpret inside a table cell.
var mdReplacer = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"|", "\\|", "\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_",
	"[", "\\[", "]", "\\]", "#", "\\#", "~", "\\~", "!", "\\!",
	"\n", " ", "\t", " ",
)

// mdText escapes s for running Markdown text.
func mdText(s string) string { return mdReplacer.Replace(plainText(s)) }

// mdCell escapes s for a table cell, on one line, at most n characters.
func mdCell(s string, n int) string { return mdText(clip(plainText(s), n)) }

// mdNote escapes a note for a table cell, cut in its middle past
// mdCellLimit characters so that the reason at its end stays.
func mdNote(s string) string { return mdText(midClip(plainText(s), mdCellLimit)) }

// mdCode makes s safe inside a `code span` in a table: backticks and pipes
// cannot be escaped there, so they are replaced.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", "¦", "\n", " ").Replace(plainText(s))
}

// mdFence puts s in a fenced code block whose fence is longer than any run
// of backticks in s, so s cannot end the block.
func mdFence(s, lang string) string {
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n"
}

// AppendStepSummary appends the Markdown summary of r to path, as GitHub
// Actions expects of the file named by $GITHUB_STEP_SUMMARY; an empty path
// does nothing. The file must be a regular file (or not exist yet): a FIFO
// that nobody reads, or a device, is refused rather than blocking the end
// of the run.
func AppendStepSummary(path string, r *Report) error {
	if path == "" {
		return nil
	}
	var b strings.Builder
	if err := WriteMarkdown(&b, r); err != nil {
		return err
	}
	f, err := fsx.OpenAppend(path, 0o644)
	if err != nil {
		return fmt.Errorf("job summary: %w", err)
	}
	if _, err := f.WriteString(blockBreak(f, path) + b.String()); err != nil {
		f.Close()
		return fmt.Errorf("job summary %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("job summary %s: %w", path, err)
	}
	return nil
}

// blockBreak is what to write before a Markdown summary appended to f,
// opened from path, so that it begins a block of its own after what the
// file holds: a blank line. What an earlier command appended may end in
// the middle of a line, which would take the summary's heading in, or
// with an HTML block (a "</details>" line), which runs on to the next
// blank line and would show the heading as raw text. When the end of the
// file cannot be read, the blank line is written anyway: an extra one
// shows nothing.
func blockBreak(f *os.File, path string) string {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return ""
	}
	r, err := fsx.Open(path)
	if err != nil {
		return "\n\n"
	}
	defer r.Close()
	tail := make([]byte, min(fi.Size(), 2))
	if _, err := r.ReadAt(tail, fi.Size()-int64(len(tail))); err != nil {
		return "\n\n"
	}
	switch {
	case string(tail) == "\n\n":
		return ""
	case tail[len(tail)-1] == '\n':
		return "\n"
	}
	return "\n\n"
}
