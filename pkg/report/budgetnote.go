package report

import (
	"fmt"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// BudgetNote is one line a reader of a summary sees when the run cut
// something to stay within a budget: Label names what ("tries",
// "outputs"), Text says how much and why, worded as `history show`
// words it.
type BudgetNote struct{ Label, Text string }

// BudgetNotes are the lines the text summary, the Markdown and the HTML
// renderings show of r's attempt_budget and output_budget: none when the
// run cut nothing, so a run within its budgets reads as before.
func BudgetNotes(r *Report) []BudgetNote {
	var notes []BudgetNote
	if a := r.AttemptBudget; a != nil {
		notes = append(notes, BudgetNote{"tries", fmt.Sprintf("%s of tries cut (%s): over the run's budget of %s for them", plural(int(a.CutMessages), "error message", "error messages"), plural(int(a.CutBytes), "byte", "bytes"), fsx.Bytes(a.LimitBytes))})
	}
	if o := r.OutputBudget; o != nil {
		notes = append(notes, BudgetNote{"outputs", fmt.Sprintf("%s cut (%s): over the run's budget of %s for them", plural(int(o.CutOutputs), "output", "outputs"), plural(int(o.CutBytes), "byte", "bytes"), fsx.Bytes(o.LimitBytes))})
	}
	return notes
}
