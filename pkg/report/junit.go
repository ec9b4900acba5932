package report

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// JUnit XML, as Jenkins, GitLab, Azure DevOps and the GitHub test-report
// actions read it (the Ant junit task's format; see testdata/junit/junit.xsd).
//
// Mapping:
//   - One <testsuites> root holding one <testsuite> for the run: name and
//     package are the playbook name, timestamp the start (UTC, without zone,
//     as Ant writes it), time the run's duration in seconds. Properties carry
//     the run id, status, playbook path and sha256, roles and the inputs,
//     already masked, the run's warnings (warning.1, …) and the accounts
//     of its budgets (attempt_budget.*, output_budget.*, as the JSON
//     report's fields), when it has them. The suite's <system-out> is the
//     text summary; <system-err> the run error, then a line "warning: …"
//     for each warning.
//   - One <testcase> per step: classname is the playbook name, name the step
//     id, prefixed "on_failure/" or "finally/" for handlers, time its
//     duration.
//   - A fan-out step also gets one <testcase> per item, named "id[index]",
//     after its own, so a CI page lists exactly which item failed. Past
//     JUnitMaxItems items, only the items that did not succeed get their own
//     testcase (at most JUnitMaxItems, those that failed or were denied
//     before those cancelled or skipped) and one "id[...]" testcase stands
//     for the rest, failed when some of them failed (restItemsCase). The items of a step reused from the resumed run ran in that
//     run: their time is 0, as the step's is.
//   - Status: failed with class execution, timeout or validation (or any
//     class not listed here) is a <failure>; failed with class system or
//     authorization, and denied, is an <error> (the runner or the policy
//     stopped it, not the operation); skipped and cancelled are <skipped>
//     with the reason. type is the error class, message its first line and
//     its last lines, where a command's error has its reason (oneLine);
//     the body holds the whole message and the attempt log.
//   - A failed step whose continue_on_error let the run go on, and its
//     items that failed or were denied, are <skipped>, with a message that
//     says so and the failure in the body: the run succeeded, and Jenkins,
//     GitLab and the GitHub test-report actions fail a build on a failure
//     or an error but not on a skipped test (pytest records an expected
//     failure, xfail, the same way), while a skipped test still stands
//     apart from the passed ones on their pages.
//   - A playbook.run step also gets one <testcase> per step of its
//     sub-runs that failed, was denied or was cancelled (nestedSteps),
//     after its items, named by its path from the step: "call/l2/check",
//     or "fan[1]/check" (the item's label in place of its index when it
//     has one) for the run of a fan-out's item. Its classname is the
//     playbook name, as for items, so that a run stays one class on a CI
//     page. A testcase of its own, rather than a line in the parent's
//     failure text, because the CI pages list failed testcases by name,
//     with the message attribute beside it: the name then says which
//     nested step failed and the message why, where the parent's message
//     is the chain of sub-playbook errors cut in its middle. Past
//     JUnitMaxItems such steps under one step, one "path/..." testcase
//     counts the rest. A nested step under a step whose continue_on_error
//     let the run go on is skipped, as the step is.
//   - A notify: entry that failed is a <failure> whose message starts with
//     what its message reached: "not sent: …", "sent to 2 of 3
//     recipients: …" or "sent with the run summary in place of its own
//     text: …" (notifyCase); its <system-out> has a line "notification:".
//   - A testcase's <system-out> has the op, attempts and the output.

// JUnitMaxItems is how many fan-out items get a testcase of their own.
const JUnitMaxItems = 1000

// junitMessageLimit is the most characters of a message attribute: an
// error's first and last lines (oneLine); the element's text has it all.
const junitMessageLimit = 1024

// junitOutLimit is the most output text one testcase carries.
const junitOutLimit = 16 << 10

// The JUnit document model, which WriteJUnit fills and writes out.
type junitSuite struct {
	Name                             string
	Tests, Failures, Errors, Skipped int
	Time, Timestamp                  string
	Properties                       []junitProperty
	Cases                            []junitCase
	SystemOut, SystemErr             string
}

type junitProperty struct{ Name, Value string }

type junitCase struct {
	Name, Classname, Time string
	Skipped               *junitSkipped
	Error, Failure        *junitProblem
	SystemOut             string
	// stopped is the error of a step cancelled while it ran (or declined):
	// skipped, unless nothing else shows that the run did not succeed.
	stopped *junitProblem
}

type junitSkipped struct{ Message, Text string }

type junitProblem struct{ Message, Type, Text string }

// WriteJUnit writes r as JUnit XML: one testsuite for the run, one testcase
// per step and per fan-out item, mapped as the comment at the top of this
// file describes.
func WriteJUnit(w io.Writer, r *Report) error {
	suite := junitSuite{
		Name:       r.Playbook.Name,
		Time:       seconds(r.DurationMS),
		Timestamp:  r.StartedAt.UTC().Format("2006-01-02T15:04:05"),
		Properties: junitProperties(r),
	}
	for i := range r.Steps {
		s := &r.Steps[i]
		suite.Cases = append(suite.Cases, stepCase(r, s))
		suite.Cases = append(suite.Cases, itemCases(r, s)...)
		suite.Cases = append(suite.Cases, nestedCases(r, s)...)
	}
	suite.Cases = markStopped(r, suite.Cases)
	for _, c := range suite.Cases {
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	suite.Tests = len(suite.Cases)
	var sum strings.Builder
	if err := WriteText(&sum, r); err != nil {
		return err
	}
	suite.SystemOut = excerpt(sum.String(), junitOutLimit)
	suite.SystemErr = excerpt(suiteErr(r), junitOutLimit)
	x := &xmlWriter{}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.open("testsuites", "name", suite.Name, "tests", suite.Tests, "failures", suite.Failures,
		"errors", suite.Errors, "skipped", suite.Skipped, "time", suite.Time)
	x.open("  testsuite", "name", suite.Name, "package", suite.Name, "id", 0, "tests", suite.Tests,
		"failures", suite.Failures, "errors", suite.Errors, "skipped", suite.Skipped,
		"time", suite.Time, "timestamp", suite.Timestamp)
	x.open("    properties")
	for _, p := range suite.Properties {
		x.empty("      property", "name", p.Name, "value", p.Value)
	}
	x.close("    properties")
	for _, c := range suite.Cases {
		x.open("    testcase", "name", c.Name, "classname", c.Classname, "time", c.Time)
		if c.Skipped != nil {
			x.element("      skipped", c.Skipped.Text, "message", c.Skipped.Message)
		}
		if c.Error != nil {
			x.element("      error", c.Error.Text, "message", c.Error.Message, "type", c.Error.Type)
		}
		if c.Failure != nil {
			x.element("      failure", c.Failure.Text, "message", c.Failure.Message, "type", c.Failure.Type)
		}
		if c.SystemOut != "" {
			x.element("      system-out", c.SystemOut)
		}
		x.close("    testcase")
	}
	x.element("    system-out", suite.SystemOut)
	x.element("    system-err", suite.SystemErr)
	x.close("  testsuite")
	x.close("testsuites")
	_, err := io.WriteString(w, x.b.String())
	return err
}

func junitProperties(r *Report) []junitProperty {
	ps := []junitProperty{
		{"run_id", r.RunID},
		{"status", string(r.Status)},
		{"playbook.path", r.Playbook.Path},
		{"playbook.sha256", r.Playbook.SHA256},
		{"roles", strings.Join(r.Roles, ",")},
	}
	if r.ResumedFrom != "" {
		ps = append(ps, junitProperty{"resumed_from", r.ResumedFrom})
	}
	if r.DryRun {
		ps = append(ps, junitProperty{"dry_run", "true"})
	}
	for _, k := range sortedKeys(r.Inputs) {
		ps = append(ps, junitProperty{"input." + k, CapString(plainText(inline(r.Inputs[k])), 1024)})
	}
	for i, w := range r.Warnings {
		ps = append(ps, junitProperty{"warning." + strconv.Itoa(i+1), CapString(plainText(w), junitMessageLimit)})
	}
	if b := r.AttemptBudget; b != nil {
		ps = append(ps, budgetProperties("attempt_budget.", b.LimitBytes, b.KeptBytes, "cut_messages", b.CutMessages, b.CutBytes)...)
	}
	if b := r.OutputBudget; b != nil {
		ps = append(ps, budgetProperties("output_budget.", b.LimitBytes, b.KeptBytes, "cut_outputs", b.CutOutputs, b.CutBytes)...)
	}
	return ps
}

// budgetProperties are the properties of a budget's account, named as
// the JSON report's fields under prefix.
func budgetProperties(prefix string, limit, kept int64, cutName string, cut, cutBytes int64) []junitProperty {
	return []junitProperty{
		{prefix + "limit_bytes", strconv.FormatInt(limit, 10)},
		{prefix + "kept_bytes", strconv.FormatInt(kept, 10)},
		{prefix + cutName, strconv.FormatInt(cut, 10)},
		{prefix + "cut_bytes", strconv.FormatInt(cutBytes, 10)},
	}
}

// suiteErr is the text of the suite's <system-err>: the run's error, then
// a line "warning: …" for each of its warnings.
func suiteErr(r *Report) string {
	var b strings.Builder
	if r.Error != nil {
		b.WriteString(errText(r.Error))
	}
	for _, w := range r.Warnings {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
		b.WriteString("warning: " + w + "\n")
	}
	return b.String()
}

// markStopped makes sure a run that did not succeed is not all green on a
// CI page: when no testcase failed (a run cancelled by a signal, or
// declined at a confirm: question), the steps stopped while they ran are
// errors; when there are none either (a run stopped by its timeout while a
// continue_on_error step ran, say), a testcase "(run)" carries the run's
// error.
func markStopped(r *Report, cases []junitCase) []junitCase {
	if r.Status == StatusSucceeded || r.Status == statusRunning || r.Status == statusQueued {
		return cases
	}
	for _, c := range cases {
		if c.Failure != nil || c.Error != nil {
			return cases
		}
	}
	marked := false
	for i := range cases {
		if c := &cases[i]; c.stopped != nil {
			c.Skipped, c.Error, marked = nil, c.stopped, true
		}
	}
	if marked {
		return cases
	}
	e := r.Error
	if e == nil {
		e = &Error{Class: string(r.Status), Message: "the run " + string(r.Status)}
	}
	return append(cases, junitCase{Name: "(run)", Classname: r.Playbook.Name, Time: seconds(r.DurationMS),
		Error:     &junitProblem{Type: e.Class, Message: oneLine(e.Message, junitMessageLimit), Text: excerpt(errText(e), junitOutLimit)},
		SystemOut: fmt.Sprintf("the run %s, though none of its steps failed\n", r.Status)})
}

// setOutcome marks a testcase failed, errored or skipped by status and
// error class; succeeded leaves it plain. A cancelled step is skipped; one
// cancelled while it ran (started) keeps its error for markStopped. One
// that never started is skipped whatever its error's class, as a fan-out's
// items that never started are: a run stopped before it has its own
// testcase for that.
func setOutcome(r *Report, c *junitCase, st Status, reason string, e *Error, started bool, log []attemptRow) {
	switch st {
	case StatusSucceeded:
		return
	case StatusSkipped, StatusCancelled:
		msg := reason
		if msg == "" && e != nil {
			msg = e.Message
		}
		if st == StatusCancelled && !strings.HasPrefix(msg, "cancelled") {
			msg = strings.TrimSpace("cancelled: " + msg)
		}
		c.Skipped = &junitSkipped{Message: oneLine(msg, junitMessageLimit)}
		if st == StatusCancelled && e != nil && started {
			c.stopped = problem(r, st, reason, e, log)
		}
		return
	}
	p := problem(r, st, reason, e, log)
	if st == StatusDenied || e != nil && (e.Class == ClassSystem || e.Class == ClassAuthorization) {
		c.Error = p
	} else {
		c.Failure = p
	}
}

// What the message of a skipped testcase says of a failure that did not
// fail the run.
const (
	ignoredExcuse = "ignored: continue_on_error let the run go on after this failure: "
	rescuedExcuse = "rescued: its rescue steps recovered the run after this failure: "
)

// excuseStep excuses the testcase of step s, or of one of its items, when
// s failed and continue_on_error or its rescue steps let the run go on.
func excuseStep(c *junitCase, s *Step) {
	switch {
	case rescued(s):
		excuse(c, rescuedExcuse)
	case ignored(s):
		excuse(c, ignoredExcuse)
	}
}

// excuse turns the failure or error of a testcase whose step failed
// without failing the run (continue_on_error, or rescue steps that
// recovered it) into a skip whose message says why, the failure in its
// body: the run exits 0, and CI would fail the build on a failure.
func excuse(c *junitCase, why string) {
	p := cmp.Or(c.Failure, c.Error)
	if p == nil {
		return
	}
	c.Failure, c.Error = nil, nil
	c.Skipped = &junitSkipped{
		Message: oneLine(why+p.Type+": "+p.Message, junitMessageLimit),
		Text:    p.Text,
	}
}

// notifyCase heads the failure of a notify: entry's testcase with what
// its message reached ("sent to 2 of 3 recipients: …", "sent with the
// run summary in place of its own text: …", "not sent: …"), unless its
// message already says it. The entry stays a failure, as it must be
// fixed, but one that some people got does not read as one nobody got.
func notifyCase(c *junitCase, s *Step) {
	p := cmp.Or(c.Failure, c.Error)
	if p == nil {
		return
	}
	what := NotificationUnsaid(NotificationOf(s), p.Message)
	if what == "" {
		return
	}
	p.Message = oneLine(what+": "+p.Message, junitMessageLimit)
}

// problem is the failure or error element of a step or item.
func problem(r *Report, st Status, reason string, e *Error, log []attemptRow) *junitProblem {
	p := &junitProblem{Type: string(st)}
	if e != nil {
		p.Type = e.Class
		p.Message = oneLine(e.Message, junitMessageLimit)
		p.Text = e.Message
	} else {
		p.Message, p.Text = reason, reason
	}
	if p.Message == "" {
		p.Message = string(st)
	}
	if len(log) > 0 {
		p.Text += "\n\nattempts (time from the run's start):\n" + attemptLines(r, log)
	}
	p.Text = excerpt(p.Text, junitOutLimit)
	return p
}

func attemptLines(r *Report, log []attemptRow) string {
	var b strings.Builder
	for _, row := range log {
		a := row.Attempt
		if a == nil {
			fmt.Fprintf(&b, "  … %s\n", row.Text())
			continue
		}
		fmt.Fprintf(&b, "  %d. at %s for %s: ", a.Attempt, offset(r, a.StartedAt), FormatMS(a.DurationMS))
		if a.Error != nil {
			b.WriteString(string(attemptStatus(a)) + ": ")
		}
		b.WriteString(attemptResult(a, junitMessageLimit) + "\n")
	}
	return b.String()
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}

// seconds renders milliseconds as JUnit's decimal seconds.
func seconds(ms int64) string {
	if ms < 0 {
		ms = 0
	}
	return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)
}

// xmlWriter writes indented XML. Text keeps newlines and tabs, so messages
// and output read naturally in the file; attributes encode them as
// character references, as XML requires to keep them. Every value goes
// through plainText, so terminal escape sequences are dropped whole, as in
// the other formats, and so are the characters XML cannot carry.
type xmlWriter struct{ b strings.Builder }

func (x *xmlWriter) raw(s string) { x.b.WriteString(s) }

// start writes "<name a="v"..." for an indented name and its attributes.
func (x *xmlWriter) start(name string, attrs []any) {
	trimmed := strings.TrimLeft(name, " ")
	x.b.WriteString(name[:len(name)-len(trimmed)] + "<" + trimmed)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.b.WriteString(" " + attrs[i].(string) + `="`)
		x.b.WriteString(xmlAttrEscaper.Replace(plainText(fmt.Sprint(attrs[i+1]))))
		x.b.WriteString(`"`)
	}
}

func (x *xmlWriter) open(name string, attrs ...any) { x.start(name, attrs); x.b.WriteString(">\n") }

func (x *xmlWriter) empty(name string, attrs ...any) { x.start(name, attrs); x.b.WriteString("/>\n") }

func (x *xmlWriter) close(name string) {
	trimmed := strings.TrimLeft(name, " ")
	x.b.WriteString(name[:len(name)-len(trimmed)] + "</" + trimmed + ">\n")
}

// element writes a complete element with text content.
func (x *xmlWriter) element(name, text string, attrs ...any) {
	x.start(name, attrs)
	if text == "" {
		x.b.WriteString("/>\n")
		return
	}
	x.b.WriteString(">" + xmlTextEscaper.Replace(plainText(text)) + "</" + strings.TrimLeft(name, " ") + ">\n")
}

var (
	xmlTextEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#13;")
	xmlAttrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
		"\n", "&#10;", "\r", "&#13;", "\t", "&#9;")
)
