package history

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// WriteRun writes one run with its step rows for `arsenal-run history show`:
// a summary and a table for people, or with asJSON one object
// {"run": {...}, "steps": [...]}. Rows of retry attempts are left out of
// the table; the JSON has every row.
func WriteRun(w io.Writer, run Run, rows []StepRow, asJSON bool) error {
	if asJSON {
		if rows == nil {
			rows = []StepRow{}
		}
		return writeJSON(w, struct {
			Run   runJSON   `json:"run"`
			Steps []StepRow `json:"steps"`
		}{jsonRun(run), rows})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "run       %s\nplaybook  %s (%s)\nstatus    %s %s\nstarted   %s\n", run.ID, run.Playbook, run.Path, icon(run.Status), run.Status, run.StartedAt.UTC().Format("2006-01-02 15:04:05"))
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
	default:
		fmt.Fprintf(&b, "report    %s\n", run.ReportPath)
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
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tOP\tSTATUS\tTRIES\tDURATION\tERROR")
	for _, r := range rows {
		if r.Kind == "attempt" {
			continue
		}
		id := r.StepID
		if r.Section != "" && r.Section != "steps" {
			id = r.Section + "/" + id
		}
		if r.Item != nil {
			id = fmt.Sprintf("  %s[%d]", id, *r.Item)
		}
		dur := "-"
		if r.StartedAt != nil {
			dur = report.FormatMS(r.DurationMS)
		}
		errText := r.ErrorClass
		if r.Ignored {
			errText += " (" + report.IgnoredNote + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%d\t%s\t%s\n", id, r.Op, icon(r.Status), r.Status, r.Attempt, dur, errText)
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
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
		trigger += ", slot " + run.Slot.UTC().Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(b, "trigger   %s\n", trigger)
	roles := strings.Join(run.Roles, ", ")
	switch {
	case run.StartedBy != "" && roles != "":
		fmt.Fprintf(b, "by        %s, roles %s\n", run.StartedBy, roles)
	case run.StartedBy != "":
		fmt.Fprintf(b, "by        %s\n", run.StartedBy)
	case roles != "":
		fmt.Fprintf(b, "roles     %s\n", roles)
	}
	if run.ResumedFrom != "" {
		fmt.Fprintf(b, "resumes   %s\n", run.ResumedFrom)
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
