package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// Steps of sub-playbooks in the renderings for people. A playbook.run
// step's own error is the chain of its sub-runs' errors ("sub-playbook l1
// failed: step l2 failed: …"), and a note cut in its middle loses exactly
// the step that failed. So under such a step every format lists the
// nested steps a reader must look at, each named by its path from the top
// step: "call/inner", "call/l2/check" a level deeper, and "fan[1]/check"
// or "fan[web-1]/check" for the run of a fan-out's item (its label when it
// has one, as itemLabel names the item, else its index).
//
// Only a sub-run that did not succeed is looked into, and of it only the
// steps that failed, were denied or were cancelled while they ran, with
// their own sub-runs in turn: a sub-run that succeeded adds nothing, so
// the summary of a healthy run stays as short as before. A playbook.run
// step in between whose sub-run is looked into is not listed itself: its
// note would be the chain again, and the path of each step under it
// already names it.

// nestedStep is a step of a sub-playbook's run listed under the top-level
// step whose run it is part of.
type nestedStep struct {
	// Path names the step from the top-level step: "call/l2/check". It is
	// the report's text, not cleaned: each format cleans it its own way.
	Path string
	Step *Step
	// Run is the sub-run the step is part of.
	Run *SubRun
	// Excused is set when the step, or a step it is nested in, failed and
	// its continue_on_error let the run go on: the failure is not the
	// run's. excusedBy is the path of that step (the nearest, when
	// several were), which the step's note names when it is not the step.
	Excused   bool
	excusedBy string
	// rescued is set when the step, or a step it is nested in, failed and
	// its rescue steps recovered: that failure is not the run's either.
	// rescuedBy is the path of that step.
	rescued   bool
	rescuedBy string
	// seq is the step's place in the walk, the order the formats list in.
	seq int
}

// minor reports whether n's failure was not its sub-run's, nor the run's:
// excused by continue_on_error or rescued.
func (n *nestedStep) minor() bool { return n.Excused || n.rescued }

// nestedMaxRows is how many nested steps the formats list under one
// top-level step, as textMaxItems bounds its items; a line says how many
// more the report has.
const nestedMaxRows = 20

// nestedSteps lists the steps of s's sub-runs that did not succeed, up to
// limit (all of them for limit < 0), and how many more there are. When
// there are more, the steps whose failure was ignored or rescued are the
// ones left out, so that a sub-run with many ignored failures still shows
// the step that failed it; those listed keep the order of the walk.
func nestedSteps(s *Step, limit int) (list []nestedStep, more int) {
	w := nestedWalk{limit: limit}
	w.step(stepLabel(s), s, excuser(stepLabel(s), ignored(s), ""), excuser(stepLabel(s), s.Rescued, ""))
	n := len(w.main) + len(w.rest)
	if limit >= 0 {
		n = min(n, limit)
	}
	list = append(w.main, w.rest[:n-len(w.main)]...)
	slices.SortFunc(list, func(a, b nestedStep) int { return a.seq - b.seq })
	return list, w.seen - len(list)
}

// nestedWalk collects the nested steps to list. It keeps at most limit of
// the steps that failed their sub-run (main) and at most limit of the
// others (rest), as only so many are listed, and counts them all (seen).
type nestedWalk struct {
	main, rest []nestedStep
	seen       int
	limit      int
}

// excuser is path when its step excused a failure (ok), else by, the
// path of the step that excused one further up ("" for none).
func excuser(path string, ok bool, by string) string {
	if ok {
		return path
	}
	return by
}

// step walks the sub-runs of s, a step named path; excusedBy and
// rescuedBy name the nearest step around them whose continue_on_error,
// or whose rescue steps, let the run go on after its failure.
func (w *nestedWalk) step(path string, s *Step, excusedBy, rescuedBy string) {
	w.run(path, s.Sub, excusedBy, rescuedBy)
	for i, sub := range s.Subs {
		w.run(path+"["+subItemName(s, i)+"]", sub, excusedBy, rescuedBy)
	}
}

// run lists the steps of sub that a reader must look at, under path.
func (w *nestedWalk) run(path string, sub *SubRun, excusedBy, rescuedBy string) {
	if sub == nil || sub.Status == StatusSucceeded {
		return
	}
	for i := range sub.Steps {
		s := &sub.Steps[i]
		p := path + "/" + stepLabel(s)
		ex, res := excuser(p, ignored(s), excusedBy), excuser(p, s.Rescued, rescuedBy)
		if nestedShown(s) {
			w.add(nestedStep{Path: p, Step: s, Run: sub, Excused: ex != "", excusedBy: ex, rescued: res != "", rescuedBy: res, seq: w.seen})
		}
		w.step(p, s, ex, res)
	}
}

// add keeps n if the list may still show it.
func (w *nestedWalk) add(n nestedStep) {
	w.seen++
	to := &w.main
	if n.minor() {
		to = &w.rest
	}
	if w.limit < 0 || len(*to) < w.limit {
		*to = append(*to, n)
	}
}

// nestedShown reports whether a nested step is listed: failed, denied, or
// cancelled while it ran. The steps a cancelled sub-run never started are
// all cancelled too ("not started: …"); they would bury the one that was
// running, and the parent's row already says the run was cancelled.
func nestedShown(s *Step) bool {
	if failedSub(s.Sub) || slices.ContainsFunc(s.Subs, failedSub) {
		return false // its sub-run's steps say what failed
	}
	switch s.Status {
	case StatusFailed, StatusDenied:
		return true
	case StatusCancelled:
		return s.StartedAt != nil
	}
	return false
}

func failedSub(sub *SubRun) bool { return sub != nil && sub.Status != StatusSucceeded }

// subItemName names the i-th item of fan-out s in a nested path: its
// label when it has one, else its index.
func subItemName(s *Step, i int) string { return SubItemName(s, i) }

// SubItemName names the run of item i of fan-out step s in the paths of
// nested steps, between brackets: its label when it has one, else its
// index, as the engine names it in its sub-run's events (parent_step).
func SubItemName(s *Step, i int) string {
	it := (*Item)(nil)
	if i < len(s.Items) && s.Items[i].Index == i {
		it = &s.Items[i]
	} else {
		for j := range s.Items {
			if s.Items[j].Index == i {
				it = &s.Items[j]
				break
			}
		}
	}
	if it != nil && it.Label != "" {
		return cell(it.Label) // a path is one line
	}
	return strconv.Itoa(i)
}

// textNested writes, under s's row in the text summary's table, a row for
// each nested step that did not succeed, as textItems writes its items:
// indented, with its icon, and the same columns as a step's row.
func textNested(w io.Writer, s *Step) {
	list, more := nestedSteps(s, nestedMaxRows)
	for _, n := range list {
		ns := n.Step
		fmt.Fprintf(w, "  \t  %s %s\t%s\t%s\t%s\t%d\t%s\n", Icon(ns.Status), cell(n.Path), cell(ns.Op), cell(string(ns.Status)), FormatMS(ns.DurationMS), ns.Attempts, cell(nestedNote(&n, textNoteLimit, false)))
	}
	if more > 0 {
		fmt.Fprintf(w, "  \t  …\t\t\t\t\t%d more nested steps in the report\n", more)
	}
}

// WriteNestedText writes the nested steps of r that did not succeed,
// the rows the text summary lists under their top-level steps, as a table
// of their own under a heading, in the columns of `history show` (which
// lists a run's top-level steps from the history, and adds this from the
// run's report); nothing when there are none. Past nestedMaxRows under
// one top-level step, a line says how many more the report has. The
// outputs of its sub-runs that could not be computed follow, marked "!",
// as the text summary lists them: the caller read them as null.
func WriteNestedText(w io.Writer, r *Report) error {
	var t strings.Builder
	header := false
	for i := range r.Steps {
		list, more := nestedSteps(&r.Steps[i], nestedMaxRows)
		outs := nestedOutputErrors(&r.Steps[i])
		if len(list) == 0 && more == 0 && len(outs) == 0 {
			continue
		}
		if !header {
			fmt.Fprintln(&t, "\nsteps of sub-playbooks that did not succeed (from the report):")
			fmt.Fprintln(&t, "STEP\tOP\tSTATUS\tTRIES\tDURATION\tERROR")
			header = true
		}
		for _, n := range list {
			ns := n.Step
			dur := "-"
			if ns.StartedAt != nil || ns.DurationMS != 0 {
				dur = FormatMS(ns.DurationMS)
			}
			fmt.Fprintf(&t, "%s\t%s\t%s %s\t%d\t%s\t%s\n", cell(n.Path), cell(ns.Op), Icon(ns.Status), cell(string(ns.Status)), ns.Attempts, dur, cell(nestedNote(&n, textNoteLimit, false)))
		}
		if more > 0 {
			fmt.Fprintf(&t, "…\t\t\t\t\t%d more nested steps of %s in the report\n", more, cell(stepLabel(&r.Steps[i])))
		}
		for _, o := range outs {
			fmt.Fprintf(&t, "! %s: output %s\t\t\t\t\t%s\n", cell(o.Path), cell(o.Name), clip(cell(outErrNote(&o)), textNoteLimit))
		}
	}
	if !header {
		return nil
	}
	// Aligned in terminal columns: a step id or label in Japanese or with
	// emoji takes two a character, which tabwriter, counting characters,
	// would leave out of line with the rows above.
	_, err := io.WriteString(w, termtext.Align(t.String(), 2))
	return err
}
