package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// The testcases of a step, of its fan-out items and of the steps of its
// sub-runs, which follow the step's own testcase in the JUnit suite.

func stepCase(r *Report, s *Step) junitCase {
	c := junitCase{Name: stepLabel(s), Classname: r.Playbook.Name, Time: seconds(s.DurationMS)}
	if s.Reused {
		// It ran in the resumed run, for the duration_ms it keeps: it
		// takes no time in this one.
		c.Time = seconds(0)
	}
	setOutcome(r, &c, s.Status, skippedReason(s), RanError(s.Error, s.Authorization), s.StartedAt != nil, attemptRows(s.AttemptLog, s.AttemptsOmittedFailed, 0))
	excuseStep(&c, s)
	notifyCase(&c, s)
	var out strings.Builder
	fmt.Fprintf(&out, "op: %s\nstatus: %s\nattempts: %d\n", s.Op, s.Status, s.Attempts)
	if s.Reason != "" {
		fmt.Fprintf(&out, "reason: %s\n", s.Reason)
	}
	if what := notificationWord(NotificationOf(s)); what != "" {
		fmt.Fprintf(&out, "notification: %s\n", what)
	}
	if s.Reused {
		out.WriteString("reused: output taken from the resumed run\n")
	}
	if s.Rescued {
		out.WriteString("rescued: it failed, and its rescue steps recovered the run\n")
	}
	if ignored(s) {
		out.WriteString("ignored: it failed, and continue_on_error let the run go on\n")
	}
	if c := cacheNote(s); c != "" {
		out.WriteString(c + "\n")
	}
	if r := resourcesNote(s.Output); r != "" {
		out.WriteString("resources: " + r + "\n")
	}
	if fanOut(s) {
		fmt.Fprintf(&out, "items: %s\n", itemSummary(s.Items))
	}
	out.WriteString(passedAttempts(r, &c, s.Attempts, s.AttemptLog, s.AttemptsOmittedFailed))
	if s.Output != nil {
		out.WriteString("output:\n" + indent(outputText(s.Output)))
	}
	c.SystemOut = excerpt(out.String(), junitOutLimit)
	return c
}

// passedAttempts lists the attempt log of a testcase that passed after
// attempts that failed, as the one that failed lists it in its failure:
// a CI page shows a flaky step as passed, and its reader must be able to
// see what made it retry. It is "" for any other testcase.
func passedAttempts(r *Report, c *junitCase, attempts int, log []Attempt, omittedFailed int) string {
	if c.Failure != nil || c.Error != nil || c.Skipped != nil {
		return ""
	}
	failed := omittedFailed
	for i := range log {
		if log[i].Error != nil {
			failed++
		}
	}
	if failed == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d attempts failed before it succeeded (time from the run's start):\n%s",
		failed, attempts, attemptLines(r, attemptRows(log, omittedFailed, 0)))
}

func itemCases(r *Report, s *Step) []junitCase {
	if len(s.Items) == 0 {
		return nil
	}
	var cases []junitCase
	shown, _ := shownItems(s.Items, JUnitMaxItems, len(s.Items) <= JUnitMaxItems)
	rest := len(s.Items) - len(shown)
	for _, i := range shown {
		it := &s.Items[i]
		c := junitCase{Name: itemLabel(s, it), Classname: r.Playbook.Name, Time: itemSeconds(s, it)}
		setOutcome(r, &c, it.Status, it.Reason, RanError(it.Error, it.Authorization), it.StartedAt != nil, attemptRows(it.AttemptLog, it.AttemptsOmittedFailed, 0))
		excuseStep(&c, s)
		var out strings.Builder
		fmt.Fprintf(&out, "op: %s\nstatus: %s\nattempts: %d\nitem: %s\n", s.Op, it.Status, it.Attempts, CapString(inline(it.Item), 1024))
		if s.Reused {
			fmt.Fprintf(&out, "reused: output taken from the resumed run, where it ran for %s\n", FormatMS(it.DurationMS))
		}
		out.WriteString(passedAttempts(r, &c, it.Attempts, it.AttemptLog, it.AttemptsOmittedFailed))
		if it.Output != nil {
			out.WriteString("output:\n" + indent(outputText(it.Output)))
		}
		c.SystemOut = excerpt(out.String(), junitOutLimit)
		cases = append(cases, c)
	}
	if rest > 0 {
		cases = append(cases, restItemsCase(r, s, shown))
	}
	return cases
}

// restItemsCase stands for the items of s that have no testcase of their
// own. Those that failed or were denied are listed first, so the rest holds
// some only past JUnitMaxItems of them: it then fails (or errs) as the
// first of them would, with a message that counts them, so that a CI page
// does not list them among the passed tests; the rest cancelled or
// skipped are skipped.
func restItemsCase(r *Report, s *Step, shown []int) junitCase {
	var rest []Item
	var first *Item
	bad, unfinished := 0, 0
	for i := range s.Items {
		if _, listed := slices.BinarySearch(shown, i); listed {
			continue
		}
		it := &s.Items[i]
		rest = append(rest, *it)
		if it.Status != StatusSucceeded {
			unfinished++
		}
		if failedLike(it.Status) {
			bad++
			if first == nil {
				first = it
			}
		}
	}
	_, counts, _ := strings.Cut(itemSummary(rest), ", ")
	c := junitCase{
		Name: stepLabel(s) + "[...]", Classname: r.Playbook.Name, Time: "0.000",
		SystemOut: fmt.Sprintf("%d more items, not listed one by one: %s; the JSON report has every item", len(rest), counts),
	}
	switch {
	case first != nil:
		setOutcome(r, &c, first.Status, first.Reason, RanError(first.Error, first.Authorization), true, nil)
		p := cmp.Or(c.Failure, c.Error)
		p.Message = oneLine(fmt.Sprintf("%d more items failed or were denied, not listed one by one; the first, %s: %s",
			bad, itemLabel(s, first), p.Message), junitMessageLimit)
		excuseStep(&c, s)
	case unfinished > 0:
		c.Skipped = &junitSkipped{Message: fmt.Sprintf("%d more items, not listed one by one: %s", len(rest), counts)}
	}
	return c
}

// itemSeconds is the time of an item's testcase: none for an item of a
// step reused from the resumed run, which ran in that run, not in this
// one; CI pages add the testcases' times up, and the suite's is this
// run's.
func itemSeconds(s *Step, it *Item) string {
	if s.Reused {
		return seconds(0)
	}
	return seconds(it.DurationMS)
}

// nestedCases are the testcases of the steps of s's sub-runs that did not
// succeed: each as stepCase makes it, named by its path, with the
// sub-playbook it ran in.
func nestedCases(r *Report, s *Step) []junitCase {
	list, more := nestedSteps(s, JUnitMaxItems)
	var cases []junitCase
	for _, n := range list {
		c := stepCase(r, n.Step)
		c.Name = n.Path
		switch {
		case n.rescued && n.rescuedBy != n.Path:
			excuse(&c, "rescued: the rescue steps of "+n.rescuedBy+" recovered the run after this failure: ")
		case n.rescued:
			excuse(&c, rescuedExcuse)
		case n.Excused && n.excusedBy != n.Path:
			excuse(&c, "ignored: continue_on_error of "+n.excusedBy+" let the run go on after this failure: ")
		case n.Excused:
			excuse(&c, ignoredExcuse)
		}
		c.SystemOut = excerpt(fmt.Sprintf("sub-playbook: %s (%s), run %s\n", n.Run.Playbook.Name, n.Run.Playbook.Path, n.Run.RunID)+c.SystemOut, junitOutLimit)
		cases = append(cases, c)
	}
	if more > 0 {
		cases = append(cases, restNestedCase(r, s, list, more))
	}
	return cases
}

// restNestedCase stands for the more nested steps under s that have no
// testcase of their own. Those whose failure was excused are left out
// first, so the rest holds steps that failed their sub-run only past
// JUnitMaxItems of them: it then fails (or errs) as the first of them
// would, with a message that counts them, so that a CI page does not list
// them among the passed tests; otherwise it is skipped, as they are.
func restNestedCase(r *Report, s *Step, listed []nestedStep, more int) junitCase {
	c := junitCase{
		Name: stepLabel(s) + "/...", Classname: r.Playbook.Name, Time: "0.000",
		SystemOut: fmt.Sprintf("%d more steps of sub-playbooks did not succeed; the JSON report has every one", more),
	}
	seen := make(map[int]bool, len(listed))
	for _, n := range listed {
		seen[n.seq] = true
	}
	all, _ := nestedSteps(s, -1)
	var first *nestedStep
	bad := 0
	for i := range all {
		if n := &all[i]; !seen[n.seq] && !n.minor() && failedLike(n.Step.Status) {
			bad++
			first = cmp.Or(first, n)
		}
	}
	if first == nil {
		c.Skipped = &junitSkipped{Message: fmt.Sprintf("%d more steps of sub-playbooks did not succeed, not listed one by one", more)}
		return c
	}
	fc := stepCase(r, first.Step)
	c.Failure, c.Error = fc.Failure, fc.Error
	if p := cmp.Or(c.Failure, c.Error); p != nil {
		p.Message = oneLine(fmt.Sprintf("%d more steps of sub-playbooks failed or were denied, not listed one by one; the first, %s: %s",
			bad, first.Path, p.Message), junitMessageLimit)
	}
	return c
}
