package report

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// shellError is the message a shell step fails with: what failed on the
// first line, why on the last (see pkg/ops/shell).
func shellError(stderr string) string {
	return "exit code 2 is not in ok_codes [0]; stderr ends with:\n" + stderr
}

// diskFullReport is a fan-out over 50 hosts of which web-13, web-26 and
// web-39 failed, each with its own stderr, beside a step whose retries
// failed the same way.
func diskFullReport() *Report {
	start := goldenStart
	at := func(ms int) *time.Time { t := start.Add(time.Duration(ms) * time.Millisecond); return &t }
	fan := Step{ID: "clean", Op: "ssh.exec", Section: "steps", Status: StatusFailed, Attempts: 1, StartedAt: at(0), DurationMS: 900,
		Error: &Error{Class: ClassExecution, Message: "item web-13 (#12): " + shellError("rm: cannot remove /var/tmp/x\ndisk full on web-13")}}
	for i := range 50 {
		host := fmt.Sprintf("web-%d", i+1)
		it := Item{Index: i, Item: map[string]any{"name": host}, Label: host, Status: StatusSucceeded, StartedAt: at(10 * i), DurationMS: 300, Attempts: 1}
		if (i+1)%13 == 0 {
			it.Status = StatusFailed
			it.Error = &Error{Class: ClassExecution, Message: shellError("rm: cannot remove /var/tmp/x\ndisk full on " + host + "\n")}
		}
		fan.Items = append(fan.Items, it)
	}
	retried := Step{ID: "rotate", Op: "shell.exec", Section: "steps", Status: StatusFailed, Attempts: 2, StartedAt: at(1000), DurationMS: 400,
		Error: &Error{Class: ClassExecution, Message: shellError("logrotate: no space left on /var/log")}}
	for a := 1; a <= 2; a++ {
		retried.AttemptLog = append(retried.AttemptLog, Attempt{Attempt: a, StartedAt: *at(1000 + 200*a), DurationMS: 150,
			Error: &Error{Class: ClassExecution, Message: shellError(fmt.Sprintf("try %d | <b>no space</b> left on /var/log", a))}})
	}
	return &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "clean-tmp"}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start.Add(2 * time.Second), DurationMS: 2000,
		Steps: []Step{fan, retried},
		Error: &Error{Class: ClassExecution, Message: "step clean failed: " + fan.Error.Message},
	}
}

// TestOneLineNotesKeepTheReason: a shell error puts its reason, the end of
// stderr, after a newline; every one-line form (text rows, Markdown cells
// and summaries, JUnit message attributes and attempt lines) keeps it.
func TestOneLineNotesKeepTheReason(t *testing.T) {
	r := diskFullReport()
	text, md := renderText(t, r), renderMarkdown(t, r)
	doc, _ := parseJUnit(t, r)
	messages := map[string]string{}
	for _, c := range doc.Suites[0].Cases {
		for _, p := range append(c.Failures, c.Errors...) {
			messages[c.Name] = p.Message
		}
	}
	for _, n := range []int{13, 26, 39} {
		host := fmt.Sprintf("web-%d", n)
		reason := "stderr ends with: rm: cannot remove /var/tmp/x; disk full on " + host
		if row := lineWith(text, "✗ "+host+" "); !strings.HasSuffix(row, reason) {
			t.Errorf("text: the row of %s lacks %q:\n%s", host, reason, text)
		}
		if !strings.Contains(md, "| "+host+" | ❌ failed |") || !strings.Contains(md, reason+" |") {
			t.Errorf("Markdown: the row of %s lacks %q:\n%s", host, reason, md)
		}
		if m := messages["clean["+host+"]"]; !strings.HasSuffix(m, reason) {
			t.Errorf("JUnit: clean[%s] message = %q, want it to end with %q", host, m, reason)
		}
	}
	// The retries: Markdown's attempt table and JUnit's attempt lines,
	// escaped for each.
	for a := 1; a <= 2; a++ {
		cell := fmt.Sprintf(`stderr ends with: try %d \| &lt;b&gt;no space&lt;/b&gt; left on /var/log |`, a)
		if !strings.Contains(md, cell) {
			t.Errorf("Markdown attempt %d lacks %q:\n%s", a, cell, md)
		}
	}
	if m := messages["rotate"]; m != "exit code 2 is not in ok_codes [0]; stderr ends with: logrotate: no space left on /var/log" {
		t.Errorf("JUnit rotate message = %q", m)
	}
	for _, c := range doc.Suites[0].Cases {
		if c.Name == "rotate" && !strings.Contains(c.Failures[0].Text, "2. at +1.4s for 150ms: failed: execution: exit code 2 is not in ok_codes [0]; stderr ends with: try 2 | <b>no space</b> left on /var/log\n") {
			t.Errorf("JUnit rotate attempt lines lack the reason:\n%s", c.Failures[0].Text)
		}
	}
	// The whole message stays where there is room for it.
	if !strings.Contains(md, "rm: cannot remove /var/tmp/x\ndisk full on web-13") {
		t.Errorf("Markdown's error block lost the whole message:\n%s", md)
	}
	for _, row := range strings.Split(md, "\n") {
		if strings.HasPrefix(row, "| ") && strings.Count(strings.ReplaceAll(row, `\|`, ""), "|") > 8 {
			t.Errorf("a Markdown row has more cells than its table: %s", row)
		}
	}
}

// lineWith is the first line of s that contains sub, or "".
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func TestOneLine(t *testing.T) {
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"plain", 100, "plain"},
		{"first\n\n", 100, "first"},
		{shellError("disk full"), 100, "exit code 2 is not in ok_codes [0]; stderr ends with: disk full"},
		{"status 503\nheaders: a\nbody: b", 100, "status 503; headers: a; body: b"},
		{"status 503\nheaders: aaaaaaaaaaaaaaaa\nbody: b", 30, "status 503; … body: b"},
		{"what failed:\none\ntwo\nthree", 25, "what failed: … two; three"},
		{"\x1b[31mred\x1b[0m:\n\tdisk\tfull\r\n", 100, "red: disk full"},
		// A long last line is cut in its middle, keeping its end.
		{"failed:\n" + long + " the end", 60, "failed: " + strings.Repeat("x", 24) + " … " + strings.Repeat("x", 17) + " the end"},
	} {
		got := oneLine(tc.in, tc.n)
		if got != tc.want {
			t.Errorf("oneLine(%q, %d) =\n  %q\nwant\n  %q", tc.in, tc.n, got, tc.want)
		}
		if utf8.RuneCountInString(got) > tc.n {
			t.Errorf("oneLine(%q, %d) has %d characters", tc.in, tc.n, utf8.RuneCountInString(got))
		}
	}
}

// TestItemSummaryCountsInTheSingular: a fan-out of one item is "1 item".
func TestItemSummaryCountsInTheSingular(t *testing.T) {
	for n, want := range map[int]string{1: "1 item, 1 failed", 2: "2 items, 2 failed"} {
		items := make([]Item, n)
		for i := range items {
			items[i].Status = StatusFailed
		}
		if got := itemSummary(items); got != want {
			t.Errorf("%d items: %q, want %q", n, got, want)
		}
	}
}
