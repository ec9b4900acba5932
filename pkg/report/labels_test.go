package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// fleetReport is a rolling restart over three hosts: one failed, one never
// started because the batch before it failed.
func fleetReport() *Report {
	start := goldenStart
	at := func(ms int) *time.Time { t := start.Add(time.Duration(ms) * time.Millisecond); return &t }
	host := func(n string) map[string]any {
		return map[string]any{"name": n, "address": "10.0.0.1", "vars": map[string]any{}}
	}
	return &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "fleet-restart"}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start.Add(3 * time.Second), DurationMS: 3000,
		Steps: []Step{{
			ID: "restart", Op: "ssh.exec", Section: "steps", Status: StatusFailed, Attempts: 1,
			StartedAt: at(0), DurationMS: 2000,
			Error: &Error{Class: "execution", Message: "item 1: exit status 1 (1 other item cancelled)"},
			Items: []Item{
				{Index: 0, Item: host("web-1"), Label: "web-1", Status: StatusSucceeded, StartedAt: at(0), DurationMS: 900, Attempts: 1},
				{Index: 1, Item: host("web-2"), Label: "web-2", Status: StatusFailed, StartedAt: at(1000), DurationMS: 800, Attempts: 1,
					Error: &Error{Class: "execution", Message: "exit status 1"}},
				{Index: 2, Item: host("web-3"), Label: "web-3", Status: StatusCancelled, Attempts: 0,
					Reason: "not started: item 1 failed and fail_fast is on"},
			},
			ItemCounts: map[Status]int{StatusSucceeded: 1, StatusFailed: 1, StatusCancelled: 1},
		}},
		Error: &Error{Class: "execution", Message: "step restart failed"},
	}
}

// TestItemLabelsInEveryFormat shows each host of a fleet step by name: a
// row per host in the text summary, a testcase per host in JUnit, the
// host in Markdown's table of items that did not succeed, and in the HTML
// items table and timeline.
func TestItemLabelsInEveryFormat(t *testing.T) {
	r := fleetReport()

	text := renderText(t, r)
	var rows []string
	for _, l := range strings.Split(text, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && strings.HasPrefix(f[1], "web-") {
			rows = append(rows, strings.Join(f[1:3], " "))
		}
	}
	if diff := cmp.Diff([]string{"web-1 succeeded", "web-2 failed", "web-3 cancelled"}, rows); diff != "" {
		t.Errorf("text rows (-want +got):\n%s\n%s", diff, text)
	}
	if !strings.Contains(text, "execution: exit status 1") || !strings.Contains(text, "not started: item 1 failed") {
		t.Errorf("the host rows lack their errors:\n%s", text)
	}

	doc, _ := parseJUnit(t, r)
	var names []string
	for _, c := range doc.Suites[0].Cases {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"restart", "restart[web-1]", "restart[web-2]", "restart[web-3]"}, names); diff != "" {
		t.Errorf("JUnit testcases (-want +got):\n%s", diff)
	}

	var md bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"| 1 | web-2 |", "| 2 | web-3 |"} {
		if !strings.Contains(md.String(), row) {
			t.Errorf("Markdown lacks %q:\n%s", row, md.String())
		}
	}
	if strings.Contains(md.String(), `"address"`) {
		t.Errorf("Markdown shows the whole host rather than its name:\n%s", md.String())
	}

	page := renderHTML(t, r)
	for _, want := range []string{"<td><code>web-2</code></td>", "<title>restart[web-1]: succeeded", "<title>restart[web-2]: failed"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// TestTextListsOnlyTroubledHostsOfALargeFleet keeps the summary short: past
// textMaxItems hosts, only those that did not succeed are listed.
func TestTextListsOnlyTroubledHostsOfALargeFleet(t *testing.T) {
	r := fleetReport()
	s := &r.Steps[0]
	for i := 3; i < 30; i++ {
		s.Items = append(s.Items, Item{Index: i, Label: "ok-host", Status: StatusSucceeded, Attempts: 1})
	}
	text := renderText(t, r)
	if n := strings.Count(text, "ok-host"); n != 0 {
		t.Errorf("%d succeeded hosts listed of a fleet of 30:\n%s", n, text)
	}
	if !strings.Contains(text, "web-2") || strings.Contains(text, "web-1") {
		t.Errorf("want only the hosts that did not succeed:\n%s", text)
	}
}

// TestJUnitItemNamesAreOneLine: a label with line breaks (an item's free
// text name) names its JUnit testcases on one line, as the other formats
// show it: CI pages list test cases by name, one to a row, and some write
// the names into Markdown tables that a line break would end.
func TestJUnitItemNamesAreOneLine(t *testing.T) {
	r := fleetReport()
	r.Steps[0].Items[1].Label = "web-2\nrack\t7"
	start := goldenStart
	r.Steps[0].Items[1].Item = map[string]any{"name": "web-2\nrack\t7"}
	r.Steps[0].Status, r.Steps[0].Op = StatusFailed, "playbook.run"
	r.Steps[0].Subs = []*SubRun{nil, {Status: StatusFailed, Steps: []Step{{
		ID: "check", Op: "shell.exec", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
		Error: &Error{Class: "execution", Message: "exit status 1"},
	}}}, nil}
	doc, _ := parseJUnit(t, r)
	var names []string
	for _, c := range doc.Suites[0].Cases {
		names = append(names, c.Name)
	}
	want := []string{"restart", "restart[web-1]", "restart[web-2 rack 7]", "restart[web-3]", "restart[web-2 rack 7]/check"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("JUnit testcases (-want +got):\n%s", diff)
	}
}

// TestTextNamesUnlabelledItemsBesideLabelledOnes: a fan-out whose items
// are labelled only in part (a matrix whose include names some
// combinations) lists every item, the others by their index as their log
// lines name them, never as a blank row; nor does an unlabelled first item
// hide the rows.
func TestTextNamesUnlabelledItemsBesideLabelledOnes(t *testing.T) {
	for _, first := range []string{"", "linux build"} {
		r := fleetReport()
		s := &r.Steps[0]
		s.Items[0].Label, s.Items[2].Label = first, ""
		s.Items[0].Item = map[string]any{"os": "linux"}
		text := renderText(t, r)
		var rows []string
		for _, l := range strings.Split(text, "\n") {
			if f := strings.Fields(l); len(f) >= 3 && (f[1] == "linux" || strings.HasPrefix(f[1], "web-") || strings.HasPrefix(f[1], "[")) {
				rows = append(rows, strings.Join(f[1:3], " "))
			}
		}
		want := []string{"[0] succeeded", "web-2 failed", "[2] cancelled"}
		if first != "" {
			want[0] = "linux build"
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("first label %q: text rows (-want +got):\n%s\n%s", first, diff, text)
		}
	}
}

// TestTextAlignsWideItemLabels: hosts named in Japanese or with an emoji
// keep their status, and a note wrapped on a terminal, in the columns of
// the rows above, by the columns the names take on the screen.
func TestTextAlignsWideItemLabels(t *testing.T) {
	r := fleetReport()
	r.Steps[0].Items[0].Label = "東京サーバー"
	r.Steps[0].Items[1].Label = "🚀rocket"
	for _, width := range []int{0, 70} {
		var b bytes.Buffer
		if err := WriteTextFit(&b, r, width); err != nil {
			t.Fatal(err)
		}
		var cols []int
		for _, l := range strings.Split(b.String(), "\n") {
			if f := strings.Fields(l); len(f) < 2 || !strings.Contains("✓✗■", f[0]) || !strings.HasPrefix(l, "  ") {
				continue // not a row of the table
			}
			at := len(l)
			for _, st := range []string{" succeeded ", " failed ", " cancelled "} {
				if i := strings.Index(l, st); i >= 0 {
					at = min(at, i)
				}
			}
			cols = append(cols, termtext.Width(l[:at]))
		}
		if len(cols) != 4 || slices.Min(cols) != slices.Max(cols) {
			t.Errorf("width %d: status columns %v are not aligned:\n%s", width, cols, b.String())
		}
	}
}
