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
		notes = append(notes, BudgetNote{"tries", fmt.Sprintf("%d error messages of tries cut (%d bytes): over the run's budget of %s for them", a.CutMessages, a.CutBytes, fsx.Bytes(a.LimitBytes))})
	}
	if o := r.OutputBudget; o != nil {
		notes = append(notes, BudgetNote{"outputs", fmt.Sprintf("%d outputs cut (%d bytes): over the run's budget of %s for them", o.CutOutputs, o.CutBytes, fsx.Bytes(o.LimitBytes))})
	}
	return notes
}
