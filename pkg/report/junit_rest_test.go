package report

import (
	"fmt"
	"strings"
	"testing"
)

// largeFanOut is a failed fan-out step of n items: the first failed of
// them failed, the next cancelled of them were cancelled while not yet
// started, and the rest succeeded.
func largeFanOut(n, failed, cancelled int) *Report {
	start := goldenStart
	s := Step{ID: "fan", Op: "shell.exec", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
		Error: &Error{Class: "execution", Message: "item 0 failed"}}
	for i := range n {
		it := Item{Index: i, Item: i, Status: StatusSucceeded, StartedAt: &start, Attempts: 1}
		switch {
		case i < failed:
			it.Status, it.Error = StatusFailed, &Error{Class: "execution", Message: fmt.Sprintf("host %d: disk full", i)}
		case i < failed+cancelled:
			it.Status, it.StartedAt, it.Attempts, it.Reason = StatusCancelled, nil, 0, "not started: an item failed (fail_fast)"
		}
		s.Items = append(s.Items, it)
	}
	return &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start, Steps: []Step{s}}
}

// TestJUnitRestOfFailedItemsIsNotPassed: past JUnitMaxItems items that
// failed, the testcase that stands for the items not listed one by one
// fails too, and says how many of them failed: a CI page must not count
// 200 failed hosts among the passed tests.
func TestJUnitRestOfFailedItemsIsNotPassed(t *testing.T) {
	doc, data := parseJUnit(t, largeFanOut(JUnitMaxItems+500, JUnitMaxItems+200, 0))
	validateXSD(t, data)
	suite := doc.Suites[0]
	last := suite.Cases[len(suite.Cases)-1]
	if last.Name != "fan[...]" {
		t.Fatalf("last testcase %q, want fan[...]", last.Name)
	}
	if len(last.Failures) != 1 || last.Failures[0].Type != "execution" {
		t.Fatalf("fan[...] stands for 200 failed items but is not a failure: %+v", last)
	}
	if m := last.Failures[0].Message; !strings.Contains(m, "200 more items failed") || !strings.Contains(m, "disk full") {
		t.Errorf("fan[...] message %q does not count the failed items or say why the first failed", m)
	}
	if want := fmt.Sprint(JUnitMaxItems + 2); suite.Failures != want {
		t.Errorf("suite failures=%s, want %s: the step, its listed items and the rest", suite.Failures, want)
	}
	if len(last.SystemOut) != 1 || !strings.Contains(last.SystemOut[0], "500 more items, not listed one by one: 300 succeeded, 200 failed") {
		t.Errorf("fan[...] output %q", last.SystemOut)
	}
}

// TestJUnitRestOfCancelledItemsIsSkipped: items past the limit that were
// cancelled before they started are not passed tests either.
func TestJUnitRestOfCancelledItemsIsSkipped(t *testing.T) {
	doc, _ := parseJUnit(t, largeFanOut(JUnitMaxItems+600, 1, JUnitMaxItems+500))
	suite := doc.Suites[0]
	last := suite.Cases[len(suite.Cases)-1]
	if last.Name != "fan[...]" || last.Skipped == nil || len(last.Failures)+len(last.Errors) != 0 {
		t.Fatalf("fan[...] stands for 501 cancelled items; want it skipped: %+v", last)
	}
	if !strings.Contains(last.Skipped.Message, "501 cancelled") {
		t.Errorf("skipped message %q", last.Skipped.Message)
	}
}

// TestJUnitRestOfExcusedItemsIsSkipped: the items past the limit of a
// step whose continue_on_error let the run go on are excused, as the
// listed ones are.
func TestJUnitRestOfExcusedItemsIsSkipped(t *testing.T) {
	r := largeFanOut(JUnitMaxItems+50, JUnitMaxItems+10, 0)
	r.Status, r.Error = StatusSucceeded, nil
	r.Steps[0].Ignored = true
	doc, _ := parseJUnit(t, r)
	suite := doc.Suites[0]
	last := suite.Cases[len(suite.Cases)-1]
	if last.Skipped == nil || !strings.HasPrefix(last.Skipped.Message, ignoredExcuse) || suite.Failures != "0" {
		t.Errorf("fan[...] of an ignored step: %+v; suite failures %s", last, suite.Failures)
	}
}

// nestedFanOut is a failed fan-out of playbook.run over n items, each of
// whose sub-runs failed at its step check.
func nestedFanOut(n int) *Report {
	start := goldenStart
	s := Step{ID: "fleet", Op: "playbook.run", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
		Error: &Error{Class: "execution", Message: "item 0: sub-playbook check failed"}}
	for i := range n {
		s.Items = append(s.Items, Item{Index: i, Item: i, Status: StatusFailed, StartedAt: &start, Attempts: 1,
			Error: &Error{Class: "execution", Message: "sub-playbook check failed"}})
		s.Subs = append(s.Subs, &SubRun{RunID: fmt.Sprintf("sub%d", i), Playbook: Playbook{Name: "check"}, Status: StatusFailed,
			Steps: []Step{{ID: "check", Op: "shell.exec", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
				Error: &Error{Class: "execution", Message: fmt.Sprintf("host %d: disk full", i)}}}})
	}
	return &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start, Steps: []Step{s}}
}

// TestJUnitRestOfFailedNestedStepsIsNotPassed: past JUnitMaxItems nested
// steps that failed their sub-runs, the testcase that stands for the rest
// fails too.
func TestJUnitRestOfFailedNestedStepsIsNotPassed(t *testing.T) {
	doc, _ := parseJUnit(t, nestedFanOut(JUnitMaxItems+100))
	suite := doc.Suites[0]
	last := suite.Cases[len(suite.Cases)-1]
	if last.Name != "fleet/..." {
		t.Fatalf("last testcase %q, want fleet/...", last.Name)
	}
	if len(last.Failures) != 1 {
		t.Fatalf("fleet/... stands for 100 failed nested steps but is not a failure: %+v", last)
	}
	if m := last.Failures[0].Message; !strings.Contains(m, "100 more steps of sub-playbooks failed") || !strings.Contains(m, "fleet[1000]/check: host 1000: disk full") {
		t.Errorf("fleet/... message %q", m)
	}

	r := nestedFanOut(JUnitMaxItems + 100)
	r.Status, r.Error, r.Steps[0].Ignored = StatusSucceeded, nil, true
	doc, _ = parseJUnit(t, r)
	suite = doc.Suites[0]
	if last := suite.Cases[len(suite.Cases)-1]; last.Skipped == nil || suite.Failures != "0" {
		t.Errorf("fleet/... of an ignored step: %+v; suite failures %s", last, suite.Failures)
	}
}
