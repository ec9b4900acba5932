package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// finished prints the permanent line of a step that ended: its status,
// its time (a dash for one that never started, as the summary has it),
// what it was skipped for or failed with and, for one that failed or was
// cancelled, the output it printed.
func (v *liveView) finished(ev engine.Event) {
	s := v.running[ev.Step]
	// The step's own duration, as the report has it: a confirmed step's
	// leaves out the time its question waited.
	took := time.Duration(ev.DurationMS) * time.Millisecond
	name := ev.Name
	if s != nil && name == "" {
		name = s.name
	}
	delete(v.running, ev.Step)
	st := report.Status(ev.Status)
	label := v.liveLabel(ev.Step, name, liveLabelCols(v.width))
	line := fmt.Sprintf("%s %s %-10s %s", v.icon(st), label, st, report.StepTime(st, took.Milliseconds(), ev.Reused, !ev.NotStarted))
	if ev.Ignored {
		line += "  " + v.p.yellow(report.IgnoredNote)
	}
	// A notify entry that failed may have reached people all the
	// same: its line says what its message reached, as its log line does,
	// less what its error says already ("sent to 2 of 3 recipients; …").
	if what := report.NotificationUnsaid(ev.Notification, ev.Err); what != "" {
		line += "  " + v.p.yellow("notification "+what)
	}
	showOutput := s != nil && len(s.lines) > 0 && (st == report.StatusFailed || st == report.StatusCancelled)
	var note []string
	// A dry run's note on a step it let through (a confirm: question
	// it did not ask) is shown on a succeeded step too.
	if ev.Reason != "" && (st == report.StatusSkipped || strings.HasPrefix(ev.Reason, "dry run:")) {
		note = append(note, termtext.Line(ev.Reason))
	}
	if ev.Err != "" {
		note = append(note, termtext.Line(errHeading(firstLine(ev.Err), showOutput)))
	}
	out := v.fitNote(line, strings.Join(note, "  "))
	if showOutput {
		if s.cut > 0 {
			out = append(out, v.p.dim(fmt.Sprintf("    … %d earlier lines; the report has the step's output", s.cut)))
		}
		for _, l := range s.lines {
			for _, part := range v.fitOutput(l) {
				out = append(out, "    "+v.p.dim("│")+" "+part)
			}
		}
	}
	v.print(out...)
}

func (v *liveView) icon(s report.Status) string {
	i := report.Icon(s)
	switch s {
	case report.StatusSucceeded:
		return v.p.green(i)
	case report.StatusFailed, report.StatusDenied:
		return v.p.red(i)
	case report.StatusCancelled:
		return v.p.yellow(i)
	}
	return v.p.dim(i)
}
