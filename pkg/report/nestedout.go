package report

import (
	"fmt"
	"io"
	"strings"
)

// nestedOutErr is an output of a sub-playbook's run that could not be
// computed, which the calling playbook read as null. It is shown under the
// top-level step whose run it is part of, whether the sub-run failed or
// not: a sub-run that succeeded may still have handed null to its caller,
// and the empty value downstream is explained only here.
type nestedOutErr struct {
	// Path names the step that ran the sub-playbook, as a nested step's
	// path does: "call", "fan[b]", "deep/l2".
	Path string
	// Name is the output's name, Why the reason it could not be computed.
	Name, Why string
}

// nestedOutputErrors lists the outputs of s's sub-runs, at any depth, that
// could not be computed, in the order of the walk and of the names.
func nestedOutputErrors(s *Step) []nestedOutErr {
	var list []nestedOutErr
	var step func(path string, s *Step)
	run := func(path string, sub *SubRun) {
		if sub == nil {
			return
		}
		for _, k := range sortedKeys(sub.OutputErrors) {
			list = append(list, nestedOutErr{Path: path, Name: k, Why: sub.OutputErrors[k]})
		}
		for i := range sub.Steps {
			step(path+"/"+stepLabel(&sub.Steps[i]), &sub.Steps[i])
		}
	}
	step = func(path string, s *Step) {
		run(path, s.Sub)
		for i, sub := range s.Subs {
			run(path+"["+subItemName(s, i)+"]", sub)
		}
	}
	step(stepLabel(s), s)
	return list
}

// outErrNote is the note of a nested output's row.
func outErrNote(o *nestedOutErr) string {
	return "not computed, the caller read null: " + o.Why
}

// textNestedOutputs writes, under s's row in the text summary's table, a
// row for each output of its sub-runs that could not be computed, marked
// "!", as textNested writes the nested steps.
func textNestedOutputs(w io.Writer, s *Step) {
	for _, o := range nestedOutputErrors(s) {
		fmt.Fprintf(w, "  \t  ! %s: output %s\t\t\t\t\t%s\n", cell(o.Path), cell(o.Name), clip(cell(outErrNote(&o)), textNoteLimit))
	}
}

// mdNestedOutputs writes the Markdown rows of the outputs of s's sub-runs
// that could not be computed, marked "↳" as mdNested marks nested steps.
func mdNestedOutputs(b *strings.Builder, s *Step) {
	for _, o := range nestedOutputErrors(s) {
		fmt.Fprintf(b, "| ⚠️ | ↳ `%s`: output `%s` | | | | | %s |\n", mdCode(clip(plainText(o.Path), mdCellLimit)), mdCode(clip(plainText(o.Name), mdCellLimit)), mdNote(outErrNote(&o)))
	}
}
