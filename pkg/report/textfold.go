package report

import (
	"fmt"
	"io"
	"strings"
)

// On a terminal, a summary of more than textFoldSteps steps folds each
// run of at least textFoldRun consecutive steps that succeeded with
// nothing to note into one row, so that the steps that did not succeed
// (and the run's status line, above the table) are not scrolled away by
// thousands of rows alike. Written to a file or a pipe, the summary lists
// every step, as scripts read it.
const (
	textFoldSteps = 50
	textFoldRun   = 4
)

// textStepRows writes the rows of the step table: a row for each step,
// followed by its items, its sub-runs' steps and outputs that did not
// succeed; with fold, runs of plain succeeded steps as one row each
// (textFoldSteps).
func textStepRows(w io.Writer, steps []Step, fold bool) {
	extras := make([]string, len(steps))
	plain := make([]bool, len(steps))
	for i := range steps {
		s := &steps[i]
		var b strings.Builder
		textItems(&b, s)
		textNested(&b, s)
		textNestedOutputs(&b, s)
		extras[i] = b.String()
		plain[i] = s.Status == StatusSucceeded && extras[i] == "" && stepNote(s, textNoteLimit, false) == ""
	}
	for i := 0; i < len(steps); i++ {
		if fold && plain[i] {
			j := i
			for j < len(steps) && plain[j] {
				j++
			}
			if j-i >= textFoldRun {
				fmt.Fprintf(w, "  %s\t%s … %s\t\t%s\t\t\t%d steps succeeded\n", Icon(StatusSucceeded), cell(stepLabel(&steps[i])), cell(stepLabel(&steps[j-1])), StatusSucceeded, j-i)
				i = j - 1
				continue
			}
		}
		s := &steps[i]
		note := stepNote(s, textNoteLimit, false)
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\n", Icon(s.Status), cell(stepLabel(s)), cell(s.Op), cell(string(s.Status)), stepTime(s), s.Attempts, cell(note))
		io.WriteString(w, extras[i])
	}
}
