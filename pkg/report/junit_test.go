package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Structs mirroring testdata/junit/junit.xsd, for reading what WriteJUnit
// wrote. Attributes the schema requires are strings, so a missing one shows
// as "" rather than a silent zero.
type xTestsuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    string       `xml:"tests,attr"`
	Failures string       `xml:"failures,attr"`
	Errors   string       `xml:"errors,attr"`
	Skipped  string       `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []xTestsuite `xml:"testsuite"`
}

type xTestsuite struct {
	Name       string      `xml:"name,attr"`
	Tests      string      `xml:"tests,attr"`
	Failures   string      `xml:"failures,attr"`
	Errors     string      `xml:"errors,attr"`
	Skipped    string      `xml:"skipped,attr"`
	Time       string      `xml:"time,attr"`
	Timestamp  string      `xml:"timestamp,attr"`
	Properties *xProps     `xml:"properties"`
	Cases      []xTestcase `xml:"testcase"`
	SystemOut  *string     `xml:"system-out"`
	SystemErr  *string     `xml:"system-err"`
}

type xProps struct {
	Props []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"property"`
}

type xTestcase struct {
	Name      string    `xml:"name,attr"`
	Classname string    `xml:"classname,attr"`
	Time      string    `xml:"time,attr"`
	Skipped   *xSkipped `xml:"skipped"`
	Errors    []xProb   `xml:"error"`
	Failures  []xProb   `xml:"failure"`
	SystemOut []string  `xml:"system-out"`
}

type xSkipped struct {
	Message string `xml:"message,attr"`
}

type xProb struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// parseJUnit renders r and reads it back, checking what the schema requires.
func parseJUnit(t *testing.T, r *Report) (xTestsuites, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc xTestsuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b.String())
	}
	checkStructure(t, doc)
	return doc, b.Bytes()
}

func checkStructure(t *testing.T, doc xTestsuites) {
	t.Helper()
	if len(doc.Suites) != 1 {
		t.Fatalf("%d testsuites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	for attr, v := range map[string]string{"name": s.Name, "tests": s.Tests, "failures": s.Failures, "errors": s.Errors, "skipped": s.Skipped, "time": s.Time, "timestamp": s.Timestamp} {
		if v == "" {
			t.Errorf("testsuite has no %s", attr)
		}
	}
	if _, err := time.Parse("2006-01-02T15:04:05", s.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", s.Timestamp, err)
	}
	if s.Properties == nil || s.SystemOut == nil || s.SystemErr == nil {
		t.Errorf("testsuite lacks properties, system-out or system-err")
	}
	var failures, errors, skipped int
	for _, c := range s.Cases {
		if c.Name == "" || c.Classname == "" {
			t.Errorf("testcase %+v lacks name or classname", c)
		}
		if f, err := strconv.ParseFloat(c.Time, 64); err != nil || f < 0 {
			t.Errorf("testcase %s: time %q is not non-negative seconds", c.Name, c.Time)
		}
		n := len(c.Failures) + len(c.Errors)
		if c.Skipped != nil {
			n++
		}
		if n > 1 {
			t.Errorf("testcase %s has %d outcomes", c.Name, n)
		}
		failures += len(c.Failures)
		errors += len(c.Errors)
		if c.Skipped != nil {
			skipped++
		}
		for _, p := range append(c.Failures, c.Errors...) {
			if p.Type == "" || p.Message == "" {
				t.Errorf("testcase %s: failure or error without type or message: %+v", c.Name, p)
			}
		}
	}
	counts := func(tests, f, e, sk string) string { return tests + "/" + f + "/" + e + "/" + sk }
	want := counts(strconv.Itoa(len(s.Cases)), strconv.Itoa(failures), strconv.Itoa(errors), strconv.Itoa(skipped))
	if got := counts(s.Tests, s.Failures, s.Errors, s.Skipped); got != want {
		t.Errorf("testsuite tests/failures/errors/skipped = %s, want %s", got, want)
	}
	if got := counts(doc.Tests, doc.Failures, doc.Errors, doc.Skipped); got != want {
		t.Errorf("testsuites tests/failures/errors/skipped = %s, want %s", got, want)
	}
}

// outcome is a testcase's result as one word.
func outcome(c xTestcase) string {
	switch {
	case len(c.Failures) > 0:
		return "failure:" + c.Failures[0].Type
	case len(c.Errors) > 0:
		return "error:" + c.Errors[0].Type
	case c.Skipped != nil:
		return "skipped"
	}
	return "passed"
}

func TestJUnitMapping(t *testing.T) {
	tests := []struct {
		name string
		want map[string]string
	}{
		{"success", map[string]string{"disk": "passed", "clean": "passed", "finally/notify": "passed"}},
		{"failure-retries", map[string]string{
			"rollout": "passed", "health": "failure:execution", "promote": "skipped",
			"on_failure/rollback": "passed", "finally/summary": "passed",
		}},
		{"fanout-cancelled", map[string]string{
			"find": "passed", "stop": "failure:execution",
			"stop[0]": "passed", "stop[1]": "passed", "stop[2]": "failure:execution", "stop[3]": "skipped", "stop[4]": "skipped",
			"verify": "skipped", "finally/summary": "passed",
		}},
		{"skipped-denied", map[string]string{
			"check": "passed", "compress": "error:authorization", "upload": "skipped", "announce": "skipped",
			"cleanup_tmp": "skipped", "on_failure/page": "passed", "finally/done": "skipped",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := loadGolden(t, tc.name)
			doc, _ := parseJUnit(t, r)
			got := map[string]string{}
			for _, c := range doc.Suites[0].Cases {
				if c.Classname != r.Playbook.Name {
					t.Errorf("testcase %s: classname %q, want the playbook name", c.Name, c.Classname)
				}
				got[c.Name] = outcome(c)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJUnitClasses(t *testing.T) {
	start := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed, StartedAt: start, FinishedAt: start}
	for _, class := range []string{"execution", "timeout", "validation", "system", "authorization", "cancelled"} {
		r.Steps = append(r.Steps, Step{ID: class, Op: "x.y", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1, Error: &Error{Class: class, Message: "boom"}})
	}
	r.Steps = append(r.Steps, Step{ID: "interrupted", Op: "x.y", Section: "steps", Status: StatusCancelled, StartedAt: &start, Attempts: 1, Error: &Error{Class: "cancelled", Message: "run cancelled by SIGINT"}})
	doc, _ := parseJUnit(t, r)
	got := map[string]string{}
	for _, c := range doc.Suites[0].Cases {
		got[c.Name] = outcome(c)
		if c.Skipped != nil {
			got[c.Name] += ":" + c.Skipped.Message
		}
	}
	want := map[string]string{
		"execution": "failure:execution", "timeout": "failure:timeout", "validation": "failure:validation",
		"system": "error:system", "authorization": "error:authorization", "cancelled": "failure:cancelled",
		"interrupted": "skipped:cancelled: run cancelled by SIGINT",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestJUnitHostileText feeds text that breaks naive XML: markup, the CDATA
// terminator, quotes in attributes, terminal colours and control bytes.
func TestJUnitHostileText(t *testing.T) {
	start := goldenStart
	nasty := "<b>&amp;</b> ]]> \"quoted\" 'single'\x1b[31mred\x1b[0m bell\a nul\x00 del\x7f\r\nsecond line"
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p<&>\""}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start, Inputs: map[string]any{"x": nasty},
		Steps: []Step{{ID: "s", Op: "shell.exec", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
			Error: &Error{Class: "execution", Message: nasty}, Output: map[string]any{"stdout": nasty}}},
		Error: &Error{Class: "execution", Message: nasty},
	}
	doc, data := parseJUnit(t, r)
	c := doc.Suites[0].Cases[0]
	if doc.Suites[0].Name != `p<&>"` {
		t.Errorf("suite name %q", doc.Suites[0].Name)
	}
	msg := c.Failures[0].Text
	for _, want := range []string{"<b>&amp;</b> ]]> \"quoted\"", "red bell nul del", "\nsecond line"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure text %q lacks %q", msg, want)
		}
	}
	if bytes.ContainsAny(data, "\x00\x07\x1b\x7f") {
		t.Error("output holds control characters")
	}
	validateXSD(t, data)
}

func TestJUnitManyItems(t *testing.T) {
	start := goldenStart
	n := JUnitMaxItems + 500
	s := Step{ID: "fan", Op: "x.y", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: n}
	for i := range n {
		it := Item{Index: i, Item: i, Status: StatusSucceeded, StartedAt: &start, Attempts: 1}
		if i%500 == 7 {
			it.Status, it.Error = StatusFailed, &Error{Class: "execution", Message: fmt.Sprintf("item %d broke", i)}
		}
		s.Items = append(s.Items, it)
	}
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed, StartedAt: start, FinishedAt: start, Steps: []Step{s}}
	doc, _ := parseJUnit(t, r)
	var names []string
	for _, c := range doc.Suites[0].Cases {
		names = append(names, c.Name)
	}
	want := []string{"fan", "fan[7]", "fan[507]", "fan[1007]", "fan[...]"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("testcases (-want +got):\n%s", diff)
	}
	last := doc.Suites[0].Cases[len(names)-1]
	if len(last.SystemOut) != 1 || !strings.Contains(last.SystemOut[0], fmt.Sprintf("%d more items", n-3)) {
		t.Errorf("summary testcase says %q", last.SystemOut)
	}
}

// TestJUnitSchema validates every golden input's JUnit against the schema
// with xmllint, when it is installed.
func TestJUnitSchema(t *testing.T) {
	for _, name := range goldenInputs {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJUnit(&b, loadGolden(t, name)); err != nil {
				t.Fatal(err)
			}
			validateXSD(t, b.Bytes())
		})
	}
}

// validateXSD checks data against testdata/junit/junit.xsd with xmllint, or
// skips when xmllint is not installed.
func validateXSD(t *testing.T, data []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (Debian package libxml2-utils); structure checked, schema validation skipped")
	}
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", filepath.Join("testdata", "junit", "junit.xsd"), path).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint: %v\n%s", err, out)
	}
}

// TestJUnitRunThatDidNotSucceedIsNeverGreen: a run cancelled by a signal
// or declined at its confirm: question has a step cancelled while it ran
// and no failed step; that step is an error, so a CI page does not show
// the run green. A run that failed with no step to blame gets a testcase
// of its own; its steps that never started stay skipped, whatever their
// error's class, as a fan-out's items that never started are. Beside a
// failed step, a cancelled one stays skipped.
func TestJUnitRunThatDidNotSucceedIsNeverGreen(t *testing.T) {
	start := goldenStart
	step := func(id string, st Status, e *Error, reason string) Step {
		return Step{ID: id, Op: "x.y", Section: "steps", Status: st, StartedAt: &start, Attempts: 1, Error: e, Reason: reason}
	}
	for _, tc := range []struct {
		name  string
		run   Status
		err   *Error
		steps []Step
		want  map[string]string
	}{
		{"interrupted", StatusCancelled, &Error{Class: "cancelled", Message: "interrupted by SIGINT"},
			[]Step{step("a", StatusSucceeded, nil, ""), step("nap", StatusCancelled, &Error{Class: "cancelled", Message: "interrupted by SIGINT"}, ""), step("after", StatusSkipped, nil, "needs nap, which was cancelled")},
			map[string]string{"a": "passed", "nap": "error:cancelled", "after": "skipped"}},
		{"declined", StatusFailed, &Error{Class: "declined", Message: "step restart: the answer was no"},
			[]Step{step("restart", StatusCancelled, &Error{Class: "declined", Message: "the answer was no"}, "")},
			map[string]string{"restart": "error:declined"}},
		{"run timeout", StatusFailed, &Error{Class: "timeout", Message: "the run's timeout of 1s ran out"},
			[]Step{step("a", StatusSucceeded, nil, "")},
			map[string]string{"a": "passed", "(run)": "error:timeout"}},
		{"run timeout before steps started", StatusFailed, &Error{Class: "timeout", Message: "playbook timeout of 1s exceeded"},
			[]Step{step("a", StatusSucceeded, nil, ""),
				{ID: "next", Op: "x.y", Section: "steps", Status: StatusCancelled, Reason: "not started: playbook timeout of 1s exceeded",
					Error: &Error{Class: "timeout", Message: "playbook timeout of 1s exceeded"}},
				{ID: "after", Op: "x.y", Section: "steps", Status: StatusCancelled, Reason: "not started: playbook timeout of 1s exceeded",
					Error: &Error{Class: "timeout", Message: "playbook timeout of 1s exceeded"}}},
			map[string]string{"a": "passed", "next": "skipped", "after": "skipped", "(run)": "error:timeout"}},
		{"beside a failure", StatusFailed, &Error{Class: "execution", Message: "boom"},
			[]Step{step("f", StatusFailed, &Error{Class: "execution", Message: "boom"}, ""), step("g", StatusCancelled, &Error{Class: "cancelled", Message: "cancelled: f failed"}, "")},
			map[string]string{"f": "failure:execution", "g": "skipped"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: tc.run, Error: tc.err, StartedAt: start, FinishedAt: start, Steps: tc.steps}
			doc, _ := parseJUnit(t, r)
			got := map[string]string{}
			for _, c := range doc.Suites[0].Cases {
				got[c.Name] = outcome(c)
				if c.Skipped != nil && strings.Contains(c.Skipped.Message, "cancelled: cancelled") {
					t.Errorf("%s: %q says cancelled twice", c.Name, c.Skipped.Message)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if s := doc.Suites[0]; s.Failures == "0" && s.Errors == "0" {
				t.Errorf("failures=%s errors=%s for a run that %s", s.Failures, s.Errors, tc.run)
			}
		})
	}
}

// TestJUnitReusedItemsTakeNoTime: the items of a step reused from the
// resumed run ran in that run; their testcases take no time in this one's
// suite, as the step's does.
func TestJUnitReusedItemsTakeNoTime(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, resumedReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for i := range 3 {
		want := fmt.Sprintf(`<testcase name="fan[%d]" classname="p" time="0.000">`, i)
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "reused: output taken from the resumed run, where it ran for 300ms") {
		t.Errorf("an item does not say it was reused:\n%s", out)
	}
}

// TestJUnitKeepsTheFailedItemOfALargeFanOut: past JUnitMaxItems items,
// the item that failed gets its testcase even when more items than that
// were cancelled before it.
func TestJUnitKeepsTheFailedItemOfALargeFanOut(t *testing.T) {
	start := goldenStart
	s := Step{ID: "fan", Op: "shell.exec", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
		Error: &Error{Class: "execution", Message: "item 1060 failed"}}
	for i := range JUnitMaxItems + 100 {
		it := Item{Index: i, Item: i, Status: StatusCancelled, Reason: "cancelled: an item failed (fail_fast)"}
		if i == JUnitMaxItems+60 {
			it.Status, it.Reason, it.Error = StatusFailed, "", &Error{Class: "execution", Message: "disk full"}
		}
		s.Items = append(s.Items, it)
	}
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start, Steps: []Step{s}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if want := fmt.Sprintf(`<testcase name="fan[%d]"`, JUnitMaxItems+60); !strings.Contains(out, want) {
		t.Errorf("no testcase for the item that failed, %s", want)
	}
	if n := strings.Count(out, `<testcase name="fan[`); n != JUnitMaxItems+1 {
		t.Errorf("%d item testcases, want %d and one for the rest", n, JUnitMaxItems+1)
	}
}

// TestJUnitReusedStepTakesNoTime: a reused step keeps the duration_ms of
// the run that ran it, and takes no time in the resumed run's suite.
func TestJUnitReusedStepTakesNoTime(t *testing.T) {
	start := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusSucceeded,
		StartedAt: start, FinishedAt: start, Steps: []Step{{ID: "build", Op: "shell.exec", Section: "steps",
			Status: StatusSucceeded, Attempts: 2, DurationMS: 1500, Reused: true}}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	if want := `<testcase name="build" classname="p" time="0.000">`; !strings.Contains(b.String(), want) {
		t.Errorf("no %q in:\n%s", want, b.String())
	}
}
