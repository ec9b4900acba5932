package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// flakyLog is the attempt log of a step that passed on its third try, its
// first failing with an error of several lines.
func flakyLog(msg string) []Attempt {
	start := goldenStart
	return []Attempt{
		{Attempt: 1, StartedAt: start, DurationMS: 5, Error: &Error{Class: "execution", Message: msg}},
		{Attempt: 2, StartedAt: start.Add(10 * time.Millisecond), DurationMS: 5, Error: &Error{Class: "timeout", Message: "step timeout of 5ms exceeded"}},
		{Attempt: 3, StartedAt: start.Add(20 * time.Millisecond), DurationMS: 5},
	}
}

func flakyReport(msg string) *Report {
	start := goldenStart
	log := flakyLog(msg)
	return &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusSucceeded,
		StartedAt: start, FinishedAt: start, Steps: []Step{
			{ID: "migrate", Op: "shell.exec", Section: "steps", Status: StatusSucceeded, StartedAt: &start, Attempts: 3, AttemptLog: log},
			{ID: "fan", Op: "shell.exec", Section: "steps", Status: StatusSucceeded, StartedAt: &start, Attempts: 3,
				Items: []Item{
					{Index: 0, Item: "web-1", Label: "web-1", Status: StatusSucceeded, StartedAt: &start, Attempts: 1},
					{Index: 1, Item: "web-2", Label: "web-2", Status: StatusSucceeded, StartedAt: &start, Attempts: 3, AttemptLog: log},
				}},
			{ID: "poll", Op: "http.request", Section: "steps", Status: StatusSucceeded, StartedAt: &start, Attempts: 2,
				AttemptLog: []Attempt{{Attempt: 1, StartedAt: start}, {Attempt: 2, StartedAt: start}}},
		}}
}

// rowOf returns the line of text that holds want, or fails.
func rowOf(t *testing.T, text, want string) string {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, want) {
			return l
		}
	}
	t.Fatalf("no line holds %q:\n%s", want, text)
	return ""
}

// TestNotePassedAfterRetries: a step, or a fan-out item, that passed only
// on its third try says so in its note, with why the first try failed,
// in the text summary and the Markdown table: only the TRIES column hinted
// at it, and a flaky step read as healthy as any. A step retry.until
// polled (tries that did not fail) has nothing to note.
func TestNotePassedAfterRetries(t *testing.T) {
	r := flakyReport("exit code 1; stderr ends with:\nconnection refused by db-1")
	var text bytes.Buffer
	if err := WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	const want = "passed on try 3; tries 1–2 failed: execution: exit code 1; stderr ends with: connection refused by db-1"
	if row := rowOf(t, text.String(), "migrate"); !strings.HasSuffix(row, want) {
		t.Errorf("text row of migrate does not end with %q:\n%s", want, row)
	}
	if row := rowOf(t, text.String(), "✓ web-2"); !strings.HasSuffix(row, want) {
		t.Errorf("text row of item web-2 does not end with %q:\n%s", want, row)
	}
	if row := rowOf(t, text.String(), "✓ web-1"); !strings.HasSuffix(row, "1") {
		t.Errorf("text row of item web-1, which passed at once, has a note:\n%s", row)
	}
	if row := rowOf(t, text.String(), "fan "); !strings.Contains(row, "2 items, 2 succeeded; item web-2 (#1) passed on try 3; tries 1–2 failed: ") || !strings.HasSuffix(row, "connection refused by db-1") {
		t.Errorf("text row of fan does not name its item that passed after failed tries:\n%s", row)
	}
	if row := rowOf(t, text.String(), "poll"); !strings.HasSuffix(row, "2") {
		t.Errorf("text row of poll, whose tries did not fail, has a note:\n%s", row)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	row := rowOf(t, md.String(), "`migrate`")
	if !strings.Contains(row, "passed on try 3; tries 1–2 failed: execution: exit code 1") {
		t.Errorf("Markdown row of migrate does not say it passed after failed tries:\n%s", row)
	}
	if strings.Count(row, "|") != 8 {
		t.Errorf("Markdown row of migrate has other than 8 cells:\n%s", row)
	}
	if row := rowOf(t, md.String(), "`fan`"); !strings.Contains(row, "web-2 (\\#1) passed on try 3; tries 1–2 failed: execution: exit code 1") {
		t.Errorf("Markdown row of fan does not name its item that passed after failed tries:\n%s", row)
	}
}

// TestNotePassedAfterRetriesFits: a long first error, one with pipes and
// one of many tries some of which the log leaves out, keep the note
// within its row's room, the table's cells intact, and what try passed.
func TestNotePassedAfterRetriesFits(t *testing.T) {
	r := flakyReport("a | b | " + strings.Repeat("why it failed ", 100) + "\nthe reason at the end")
	many := &r.Steps[0]
	many.Attempts, many.AttemptsOmitted, many.AttemptsOmittedFailed = 60, 10, 9
	many.AttemptLog = nil
	for a := 1; a <= 50; a++ {
		n := a
		if a > 10 {
			n = a + 10
		}
		at := Attempt{Attempt: n, StartedAt: goldenStart, Error: &Error{Class: "execution", Message: fmt.Sprintf("try %d: refused", n)}}
		if n == 60 {
			at.Error = nil
		}
		if n == 30 {
			at.Error = nil // retry.until was false
		}
		many.AttemptLog = append(many.AttemptLog, at)
	}
	var text bytes.Buffer
	if err := WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	row := rowOf(t, text.String(), "migrate")
	if want := "passed on try 60; 57 of 59 earlier tries failed; try 1: execution: try 1: refused"; !strings.HasSuffix(row, want) {
		t.Errorf("text row of migrate does not end with %q:\n%s", want, row)
	}
	web2 := rowOf(t, text.String(), "✓ web-2")
	i := strings.Index(web2, "passed on")
	if i < 0 {
		t.Fatalf("text row of item web-2 does not say it passed after failed tries:\n%s", web2)
	}
	note := web2[i:]
	if n := utf8.RuneCountInString(note); n > textNoteLimit {
		t.Errorf("note of web-2 is %d characters, over %d: %s", n, textNoteLimit, note)
	}
	if !strings.HasSuffix(note, "the reason at the end") {
		t.Errorf("note of web-2 lost the end of the error, its reason: %s", note)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	fan := rowOf(t, md.String(), "`fan`")
	if strings.Count(strings.ReplaceAll(fan, `\|`, ""), "|") != 8 {
		t.Errorf("Markdown row of fan has other than 8 cells:\n%s", fan)
	}
	cells := strings.Split(strings.ReplaceAll(fan, `\|`, "¦"), " | ")
	if n := utf8.RuneCountInString(cells[len(cells)-1]); n > mdCellLimit+2 {
		t.Errorf("note of fan is %d characters, over %d: %s", n, mdCellLimit, cells[len(cells)-1])
	}
}
