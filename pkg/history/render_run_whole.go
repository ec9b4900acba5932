package history

import (
	"fmt"
	"io"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// What `history show` tells of a run from its report besides its steps'
// rows: the JSON form, and the run's warnings and budget accounts.

// writeRunJSON is the JSON of WriteRunReport.
func writeRunJSON(w io.Writer, run Run, rows []StepRow, rep *report.Report) error {
	if rep != nil && rep.RunID != run.ID {
		rep = nil
	}
	details := reportDetails(rep)
	steps := make([]stepJSON, len(rows))
	for i, r := range rows {
		d := details[keyOf(r)]
		if r.Kind == "attempt" || r.Kind == KindOmitted {
			// The report's error is the last attempt's, not each one's,
			// and its rescue recovered the step, not an attempt.
			d.message, d.reason, d.rescued = "", "", false
		}
		steps[i] = stepJSON{StepRow: r, Label: d.label, Message: d.message, Reason: d.reason, Rescued: d.rescued, RescueOf: d.rescueOf}
		if r.Kind != "attempt" && r.Kind != KindOmitted {
			steps[i].Notification = d.notification
		}
	}
	shown := shownRunJSON{runJSON: jsonRun(run)}
	if rep != nil {
		shown.Warnings, shown.AttemptBudget, shown.OutputBudget = rep.Warnings, rep.AttemptBudget, rep.OutputBudget
	}
	return writeJSON(w, struct {
		Run   shownRunJSON `json:"run"`
		Steps []stepJSON   `json:"steps"`
	}{shown, steps})
}

// shownRunJSON is the run as `history show --json` prints it: the row,
// with what its report says of the run as a whole, named as the report
// names it.
type shownRunJSON struct {
	runJSON
	Warnings      []string              `json:"warnings,omitempty"`
	AttemptBudget *report.AttemptBudget `json:"attempt_budget,omitempty"`
	OutputBudget  *report.OutputBudget  `json:"output_budget,omitempty"`
}

// stepJSON is a row as `history show --json` prints it: the row, with
// what the run's report says of its step or item: the item's label and
// the step a rescue step rescues (on its attempts' rows too), the error
// message or the reason it did not run, and whether its rescue steps
// recovered it (not on an attempt's row).
type stepJSON struct {
	StepRow
	Label    string `json:"label,omitempty"`
	Message  string `json:"error_message,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Rescued  bool   `json:"rescued,omitempty"`
	RescueOf string `json:"rescue_of,omitempty"`
	// Notification is, on a notify: entry's row, what its message
	// reached, as its report has it (report.NotificationOf).
	Notification *report.Notification `json:"notification,omitempty"`
}

// writeRunNotes writes, under the run's lines of `history show`, what its
// report says of the run as a whole: a line "warning" for each warning,
// and, when the run cut something to stay within its budgets for tries'
// error messages and for outputs, what.
func writeRunNotes(b *strings.Builder, rep *report.Report) {
	for _, w := range rep.Warnings {
		fmt.Fprintf(b, "warning   %s\n", termtext.Line(w))
	}
	for _, n := range report.BudgetNotes(rep) {
		fmt.Fprintf(b, "%-9s %s\n", n.Label, n.Text)
	}
}
