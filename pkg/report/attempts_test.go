package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// omittingReport is a failed run of one step tried 5,000 times whose log
// keeps the first 10 attempts and the last 40 (the odd ones failed), and
// counts the 4,950 between, 2,475 of which failed.
func omittingReport() *Report {
	start := goldenStart
	s := Step{ID: "wait", Op: "http.request", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 5000,
		Error: &Error{Class: "timeout", Message: "repeat.timeout of 2h0m0s exceeded"}, AttemptsOmitted: 4950, AttemptsOmittedFailed: 2475}
	for _, n := range append(seq(1, 10), seq(4961, 5000)...) {
		a := Attempt{Attempt: n, StartedAt: start.Add(time.Duration(n) * time.Second)}
		if n%2 == 1 {
			a.Error = &Error{Class: "execution", Message: "connection refused"}
		}
		s.AttemptLog = append(s.AttemptLog, a)
	}
	return &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "backup"}, Status: StatusFailed, StartedAt: start,
		FinishedAt: start.Add(2 * time.Hour), DurationMS: 7200000, Steps: []Step{s}}
}

func seq(from, to int) []int {
	var n []int
	for i := from; i <= to; i++ {
		n = append(n, i)
	}
	return n
}

// TestFormatsSayWhereAttemptsWereLeftOut: HTML and JUnit list the
// attempts a step's log keeps with a line in the place of those it left
// out, saying how many and how many of them failed; Markdown, which
// lists 20 attempts at most, the first 10, that line, and the last 10.
func TestFormatsSayWhereAttemptsWereLeftOut(t *testing.T) {
	r := omittingReport()
	var html, junit, md bytes.Buffer
	for _, w := range []struct {
		f   func(*bytes.Buffer, *Report) error
		out *bytes.Buffer
	}{
		{func(b *bytes.Buffer, r *Report) error { return WriteHTML(b, r) }, &html},
		{func(b *bytes.Buffer, r *Report) error { return WriteJUnit(b, r) }, &junit},
		{func(b *bytes.Buffer, r *Report) error { return WriteMarkdown(b, r) }, &md},
	} {
		if err := w.f(w.out, r); err != nil {
			t.Fatal(err)
		}
	}
	const line = "4950 attempts left out (2475 failed)"
	if got := html.String(); !strings.Contains(got, `<td colspan="3" class="meta">`+line+`</td>`) ||
		!inOrder(got, `<td class="num">10</td>`, line, `<td class="num">4961</td>`) {
		t.Errorf("HTML: no line %q between attempts 10 and 4961", line)
	}
	if got := junit.String(); !inOrder(got, "  10. at", "  … "+line+"\n", "  4961. at") {
		t.Errorf("JUnit: no line %q between attempts 10 and 4961:\n%s", line, got)
	}
	want := "| … | | | 4980 attempts left out (2490 failed) |"
	if got := md.String(); !inOrder(got, "| 10 | ", want, "| 4991 | ") || strings.Contains(got, "| 4990 | ") || strings.Contains(got, "| 11 | ") {
		t.Errorf("Markdown: not attempts 1 to 10, %q, and 4991 to 5000:\n%s", want, got)
	}
}

// inOrder reports whether s has a, b and c in that order.
func inOrder(s, a, b, c string) bool {
	i, j, k := strings.Index(s, a), strings.Index(s, b), strings.Index(s, c)
	return i >= 0 && j > i && k > j
}

// TestMarkdownOfAFullLogIsAsBefore: a log that leaves nothing out is
// listed as it always was, its first 20 attempts and how many more.
func TestMarkdownOfAFullLogIsAsBefore(t *testing.T) {
	r := omittingReport()
	s := &r.Steps[0]
	s.Attempts, s.AttemptsOmitted, s.AttemptsOmittedFailed, s.AttemptLog = 30, 0, 0, nil
	for n := 1; n <= 30; n++ {
		s.AttemptLog = append(s.AttemptLog, Attempt{Attempt: n, StartedAt: goldenStart, Error: &Error{Class: "execution", Message: "refused"}})
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if got := md.String(); !inOrder(got, "| 20 | ", "| … | | | 10 more attempts |", "</details>") || strings.Contains(got, "| 21 | ") || strings.Contains(got, "left out") {
		t.Errorf("Markdown of 30 attempts:\n%s", got)
	}
}

// TestCountsOfOneAreSingular: a line standing for one attempt left out,
// and a timeline bar's note of a step tried once, say "attempt".
func TestCountsOfOneAreSingular(t *testing.T) {
	for row, want := range map[attemptRow]string{
		{Omitted: 1}:             "1 attempt left out",
		{Omitted: 1, Failed: 1}:  "1 attempt left out (1 failed)",
		{Omitted: 1, More: true}: "1 more attempt",
		{Omitted: 2, More: true}: "2 more attempts",
	} {
		if got := row.Text(); got != want {
			t.Errorf("%+v: %q, want %q", row, got, want)
		}
	}
	start := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "x", Status: StatusSucceeded, StartedAt: start, FinishedAt: start.Add(time.Second), DurationMS: 1000,
		Steps: []Step{{ID: "once", Op: "control.log", Section: "steps", Status: StatusSucceeded, Attempts: 1, StartedAt: &start, DurationMS: 5}}}
	var b bytes.Buffer
	if err := WriteTimelineSVG(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "<title>once (control.log): succeeded, 5ms, 1 attempt</title>") {
		t.Errorf("the bar's note of a step tried once:\n%s", b.String())
	}
}

// TestFormatsSayWhyASucceededAttemptWasNotTheLast: a step whose first
// tries succeeded but left its retry.until false says so beside each of
// them in HTML, JUnit and Markdown, rather than list "succeeded" tries
// that were tried again for no reason given.
func TestFormatsSayWhyASucceededAttemptWasNotTheLast(t *testing.T) {
	start := goldenStart
	why := "retry.until (output.status == 200) is false"
	s := Step{ID: "health", Op: "http.request", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 2,
		Error: &Error{Class: "execution", Message: "retry.until (output.status == 200) still false after 2 attempts"},
		AttemptLog: []Attempt{
			{Attempt: 1, StartedAt: start, Status: StatusSucceeded, Reason: why},
			{Attempt: 2, StartedAt: start.Add(time.Second), Status: StatusSucceeded, Reason: why},
		}}
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed, StartedAt: start,
		FinishedAt: start.Add(2 * time.Second), DurationMS: 2000, Steps: []Step{s}}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"html":     func(b *bytes.Buffer) error { return WriteHTML(b, r) },
		"junit":    func(b *bytes.Buffer) error { return WriteJUnit(b, r) },
		"markdown": func(b *bytes.Buffer) error { return WriteMarkdown(b, r) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		out := strings.ReplaceAll(strings.ReplaceAll(b.String(), "&#34;", `"`), "&gt;", ">")
		out = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(strings.ReplaceAll(out, "&quot;", `"`), "")
		if n := strings.Count(out, "succeeded, but "+why); n != 2 {
			t.Errorf("%s: says %d times %q; want once per attempt:\n%s", name, n, "succeeded, but "+why, out)
		}
	}
}
