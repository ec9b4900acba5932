package history

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// WriteRuns writes runs for `arsenal-run history`: a table for people, or
// with asJSON a JSON array of Run objects (an empty array when there are
// none). Times are UTC. A dry run's note starts with "dry run", so that it
// does not pass for a run that changed something.
func WriteRuns(w io.Writer, runs []Run, asJSON bool) error {
	if asJSON {
		out := make([]runJSON, len(runs))
		for i, r := range runs {
			out[i] = jsonRun(r)
		}
		return writeJSON(w, out)
	}
	return WriteRunsFit(w, runs, 0)
}

// ShortIDLen is how much of a run id a table cut to a terminal's width
// shows: its date and time, and 8 hex digits of its random part, which
// `history show` and `report show` take as the start of the id.
const ShortIDLen = len("20060102T150405-") + 8

// minPlaybook is the least of a playbook name the history table cuts it
// to, so that STATUS and DURATION fit an 80-column terminal.
const minPlaybook = 10

// WriteRunsFit writes the table of WriteRuns fitted to a terminal of
// width columns (0: no limit): when the columns before NOTE leave it
// fewer than 20, the run ids are shortened to ShortIDLen; when STATUS
// and DURATION would still run past the width, the playbook names are
// cut with "…" (not below minPlaybook), and the NOTE column is left out
// when its header would not fit (a dry run's STATUS then says "dry run",
// which its note said); a line still too long ends in "…" at
// the width, as git log --oneline cuts its lines, rather than wrapping
// into the next row.
func WriteRunsFit(w io.Writer, runs []Run, width int) error {
	if len(runs) == 0 {
		_, err := io.WriteString(w, "no runs recorded\n")
		return err
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = oneLine(r.ID, 80)
	}
	table := runTable(runs, ids, nameMax, true)
	if width > 0 && noteColumn(table)+20 > width {
		for i, id := range ids {
			ids[i] = termtext.Head(id, ShortIDLen)
		}
		table = runTable(runs, ids, nameMax, true)
	}
	if width > 0 {
		names := make([]string, len(runs))
		for i, r := range runs {
			names[i] = r.Playbook
		}
		cut := func(width int) int {
			return nameFit(width, minPlaybook, names, func(n int) string { return runTable(runs, ids, n, false) })
		}
		// The columns up to DURATION fit beside "  NOTE", or, when they
		// do not, fit without it.
		table = runTable(runs, ids, cut(width-len("  NOTE")), true)
		if noteColumn(table)+len("NOTE") > width {
			table = runTable(runs, ids, cut(width), false)
			if widest(table) > width {
				// Too narrow even so (a phone's terminal, a split
				// pane): what a run came to leads, and the rest is
				// cut, rather than the line being cut through STATUS.
				table = runTableNarrow(runs, ids, minPlaybook)
			}
		}
		table = fitLines(table, width)
	}
	_, err := io.WriteString(w, table)
	return err
}

// runTable is the history table with the playbook names cut to n columns,
// and the notes, or, without withNotes, no NOTE column and a dry run's
// STATUS "dry run" beside the icon of its status.
func runTable(runs []Run, ids []string, n int, withNotes bool) string {
	return writeRunTable(runs, ids, n, withNotes, false)
}

// runTableNarrow is runTable without notes, its columns in the order of
// what matters at a glance: STATUS and DURATION first, then the run id
// (whose start history show takes), the playbook and the start.
func runTableNarrow(runs []Run, ids []string, n int) string {
	return writeRunTable(runs, ids, n, false, true)
}

func writeRunTable(runs []Run, ids []string, n int, withNotes, statusFirst bool) string {
	var t strings.Builder
	header := "STARTED (UTC)\tRUN\tPLAYBOOK\tSTATUS\tDURATION"
	if statusFirst {
		header = "STATUS\tDURATION\tRUN\tPLAYBOOK\tSTARTED (UTC)"
	}
	if withNotes {
		header += "\tNOTE"
	}
	fmt.Fprintln(&t, header)
	for i, r := range runs {
		dur := "-"
		if r.FinishedAt != nil {
			dur = report.FormatMS(r.DurationMS)
		}
		if r.Status == StatusInterrupted {
			dur = "≥" + dur // until its last recorded step ended
		}
		var notes []string
		if r.DryRun {
			notes = append(notes, "dry run")
		}
		if r.Error != nil {
			notes = append(notes, errorText(blockerShort(r), 80))
		}
		if r.ResumedFrom != "" {
			notes = append(notes, "resumed from "+oneLine(r.ResumedFrom, 80))
		}
		status := oneLine(string(r.Status), 20)
		if r.DryRun && !withNotes {
			// Without the note that says so, a dry run would read as a
			// run that changed something; the icon keeps its status.
			status = "dry run"
		}
		started := r.StartedAt.UTC().Format("2006-01-02 15:04:05")
		if statusFirst {
			fmt.Fprintf(&t, "%s %s\t%s\t%s\t%s\t%s", StatusIcon(r.Status), status, dur, ids[i], oneLine(r.Playbook, n), started)
		} else {
			fmt.Fprintf(&t, "%s\t%s\t%s\t%s %s\t%s", started, ids[i], oneLine(r.Playbook, n), StatusIcon(r.Status), status, dur)
		}
		if withNotes {
			fmt.Fprintf(&t, "\t%s", strings.Join(notes, "; "))
		}
		fmt.Fprintln(&t)
	}
	// Aligned in terminal columns: a playbook named in Japanese or with
	// emoji takes two a character, which would push STATUS out of line.
	return termtext.Align(t.String(), 2)
}

// blockerShort is the error of a skipped slot with the id of the run that
// blocked it cut to ShortIDLen (which history show takes), so that the
// note keeps why the slot was skipped, "(overlap: skip)", within its 80
// characters rather than cutting it for the id's hex tail.
func blockerShort(r Run) *report.Error {
	if r.BlockedBy == "" || len(r.BlockedBy) <= ShortIDLen || !strings.Contains(r.Error.Message, r.BlockedBy) {
		return r.Error
	}
	e := *r.Error
	e.Message = strings.ReplaceAll(e.Message, r.BlockedBy, termtext.Head(r.BlockedBy, ShortIDLen))
	return &e
}

// noteColumn is the terminal column where the table's NOTE starts.
func noteColumn(table string) int {
	header, _, _ := strings.Cut(table, "\n")
	return termtext.Width(header) - len("NOTE")
}

// fitLines cuts each line of table wider than width columns (a Chinese
// character takes two) to end in "…" at the width, and drops the spaces
// that end a line.
func fitLines(table string, width int) string {
	lines := strings.SplitAfter(strings.TrimSuffix(table, "\n"), "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, " \n")
		if termtext.Width(l) <= width {
			lines[i] = l + "\n"
			continue
		}
		lines[i] = strings.TrimRight(termtext.HeadWidth(l, width-1), " ") + "…\n"
	}
	return strings.Join(lines, "")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// runJSON is a Run as the history's JSON prints it, saying what the table
// and `history show` say: no duration while the run goes on (the table's
// "-"), and no report path when the process ended before it wrote the
// report ("report none").
type runJSON struct {
	Run
	DurationMS *int64 `json:"duration_ms,omitempty"`
	ReportPath string `json:"report_path,omitempty"`
}

func jsonRun(r Run) runJSON {
	j := runJSON{Run: r, ReportPath: writtenReport(r)}
	if r.FinishedAt != nil {
		j.DurationMS = &r.DurationMS
	}
	return j
}

// percent is a rate to one decimal, never rounded to a figure it is not:
// some errors in many calls are "<0.1%", not the "0.0%" of none, and a
// rate short of every call is ">99.9%", not the "100.0%" of all.
func percent(f float64) string {
	s := fmt.Sprintf("%.1f%%", f*100)
	switch {
	case f > 0 && s == "0.0%":
		return "<0.1%"
	case f < 1 && s == "100.0%":
		return ">99.9%"
	}
	return s
}

// StatusIcon is the mark before a run's or step's status in the tables of
// history and 'remote runs': report.Icon's, and "…" for one going on.
func StatusIcon(s report.Status) string {
	switch s {
	case StatusRunning:
		return "…"
	}
	return report.Icon(s)
}

// oneLine is s for a table cell on a terminal: without control sequences
// (the database holds what reports held, which came from anywhere), on one
// line, at most n terminal columns (a Japanese character or an emoji
// takes two), so that a name cut to fit a table fits it.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(termtext.Clean(s)), " ")
	if termtext.Width(s) > n {
		return termtext.HeadWidth(s, n-1) + "…"
	}
	return s
}

// errorText is a run's error on one line: its class, then its message,
// which is cut to n. A slot's record has a message alone, and a message
// that starts with its class ("cancelled: …") does not get it twice.
func errorText(e *report.Error, n int) string {
	msg := oneLine(e.Message, n)
	class := oneLine(e.Class, 40)
	if class == "" || strings.HasPrefix(msg, class+":") {
		return msg
	}
	return class + ": " + msg
}
