package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func renderHTML(t testing.TB, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var dataStep = regexp.MustCompile(`<rect data-step="([^"]*)"`)

func TestHTMLOneBarPerStep(t *testing.T) {
	for _, name := range goldenInputs {
		r := loadGolden(t, name)
		page := renderHTML(t, r)
		var got []string
		for _, m := range dataStep.FindAllStringSubmatch(page, -1) {
			got = append(got, m[1])
		}
		var want []string
		for _, s := range r.Steps {
			want = append(want, s.ID)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: bars %v, want one per step %v", name, got, want)
		}
	}
}

// TestHTMLSelfContained checks that the page loads nothing from elsewhere.
func TestHTMLSelfContained(t *testing.T) {
	external := regexp.MustCompile(`(?i)(<link\b|<img\b|<iframe\b|<script[^>]+src=|@import|url\(|(src|href)="(https?:)?//)`)
	for _, name := range goldenInputs {
		page := renderHTML(t, loadGolden(t, name))
		if m := external.FindString(page); m != "" {
			t.Errorf("%s: page refers to an external resource: %q", name, m)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	start := goldenStart
	evil := `</pre><script>alert(1)</script><img src=x onerror=alert(2)>`
	r := &Report{
		ReportVersion: FormatVersion, RunID: `"><svg onload=alert(3)>`, Playbook: Playbook{Name: evil},
		Status: StatusFailed, StartedAt: start, FinishedAt: start.Add(time.Second), DurationMS: 1000,
		Inputs: map[string]any{evil: evil}, Outputs: map[string]any{"o": evil},
		Steps: []Step{{ID: `s"><script>alert(4)</script>`, Op: "x.y", Section: "steps", Status: StatusFailed, StartedAt: &start, DurationMS: 500, Attempts: 2,
			AttemptLog: []Attempt{{Attempt: 1, StartedAt: start, DurationMS: 100, Error: &Error{Class: "execution", Message: evil}}, {Attempt: 2, StartedAt: start.Add(300 * time.Millisecond), DurationMS: 200, Error: &Error{Class: "execution", Message: evil}}},
			Error:      &Error{Class: "execution", Message: evil}, Output: map[string]any{"stdout": evil + "\n" + evil},
			Items: []Item{{Index: 0, Item: evil, Status: StatusFailed, StartedAt: &start, Attempts: 1, Error: &Error{Class: "execution", Message: evil}}},
		}},
		Error: &Error{Class: "execution", Message: evil},
	}
	page := renderHTML(t, r)
	for _, bad := range []string{"<script>alert", "<img src=x", "<svg onload", `"><script`} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	if n := strings.Count(page, "<script>"); n != 1 {
		t.Errorf("%d script elements, want only the page's own", n)
	}
}

// TestHTMLStripsControls: html/template escapes markup but passes
// terminal escapes and other control characters through; the page drops
// them from every field, as the other formats do, and from the timeline
// drawn on its own.
func TestHTMLStripsControls(t *testing.T) {
	start := goldenStart
	evil := "x\x1b]0;owned\x07\x1b[2J\x1b[31mred\u009b0m\x00\x7f"
	r := &Report{
		ReportVersion: FormatVersion, RunID: "run" + evil, ResumedFrom: "prev" + evil, Playbook: Playbook{Name: "pb" + evil, Path: "p" + evil},
		Roles: []string{"role" + evil}, Status: StatusFailed, StartedAt: start, FinishedAt: start.Add(time.Second), DurationMS: 1000,
		OutputErrors: map[string]string{"o" + evil: "bad" + evil},
		Inputs:       map[string]any{"in" + evil: "v"}, Outputs: map[string]any{"out" + evil: "v"},
		Steps: []Step{{ID: "s" + evil, Name: "n" + evil, Op: "x.y" + evil, Section: "steps", Status: StatusFailed, Reason: "why" + evil, StartedAt: &start, DurationMS: 500, Attempts: 1,
			Error:         &Error{Class: "execution" + evil, Message: "m" + evil},
			Authorization: &Decision{Allowed: true, Rule: "rule" + evil},
			Confirmation:  &Confirmation{Question: "q" + evil, Answer: "yes", By: "by" + evil, At: start},
			Items:         []Item{{Index: 0, Item: "i", Label: "l" + evil, Status: StatusFailed, StartedAt: &start, Attempts: 1, Reason: "r" + evil}},
		}},
	}
	page := renderHTML(t, r)
	var svg bytes.Buffer
	if err := WriteTimelineSVG(&svg, r); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"page": page, "timeline": svg.String()} {
		if strings.ContainsAny(out, "\x1b\x07\x00\x7f\u009b") || strings.Contains(out, "owned") || strings.Contains(out, "[2J") {
			t.Errorf("the %s keeps control sequences: %q", name, out)
		}
	}
	for _, want := range []string{"pbxred", "sxred", "x.yxred", "rolexred", "rulexred", "inxred", "outxred"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if r.Playbook.Name != "pb"+evil || r.Steps[0].ID != "s"+evil {
		t.Error("rendering changed the report")
	}
}

// TestHTMLTimelineShapes checks the timeline's parts: attempt segments for
// retries, item lanes for a small fan-out, a band for a large one, and a
// marker for a step that never ran.
func TestHTMLTimelineShapes(t *testing.T) {
	page := renderHTML(t, loadGolden(t, "failure-retries"))
	if n := strings.Count(page, `class="attempt `); n != 3 {
		t.Errorf("%d attempt segments, want 3", n)
	}
	if !strings.Contains(page, `class="bar s-failed has-attempts"`) {
		t.Error("the retried step's bar is not marked as having attempts")
	}
	if !strings.Contains(page, "skipped: needs health, which failed") {
		t.Error("the skipped step has no note in the timeline")
	}

	page = renderHTML(t, loadGolden(t, "fanout-cancelled"))
	if n := strings.Count(page, `class="item `); n != 4 {
		t.Errorf("%d item bars, want 4 (the fifth item never started)", n)
	}

	start := goldenStart
	s := Step{ID: "many", Op: "x.y", Section: "steps", Status: StatusSucceeded, StartedAt: &start, DurationMS: 10_000}
	for i := range 5000 {
		at := start.Add(time.Duration(i) * 2 * time.Millisecond)
		s.Items = append(s.Items, Item{Index: i, Item: i, Status: StatusSucceeded, StartedAt: &at, DurationMS: 20, Attempts: 1})
	}
	s.Items[4000].Status = StatusFailed
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusSucceeded, StartedAt: start, FinishedAt: start.Add(10 * time.Second), DurationMS: 10_000, Steps: []Step{s}}
	page = renderHTML(t, r)
	if strings.Contains(page, `class="item `) {
		t.Error("a 5000-item fan-out is drawn item by item")
	}
	if n := strings.Count(page, `class="band `); n == 0 || n > tlBuckets {
		t.Errorf("%d band slices, want 1..%d", n, tlBuckets)
	}
	if !strings.Contains(page, `class="band s-failed"`) {
		t.Error("the band does not show the failed item's slice as failed")
	}
	if n := strings.Count(page, "<tr><td class=\"num\">"); n > htmlMaxItems+10 {
		t.Errorf("%d item rows, want at most %d", n, htmlMaxItems)
	}
	if len(page) > 1<<20 {
		t.Errorf("page is %d bytes for 5000 items", len(page))
	}
}

func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		span int64
		want string
	}{
		{1, "[0 1]"},
		{7, "[0 2 4 6]"},
		{9870, "[0 2000 4000 6000 8000]"},
		{60_000, "[0 10000 20000 30000 40000 50000 60000]"},
	} {
		if got := fmt.Sprint(ticks(tc.span)); got != tc.want {
			t.Errorf("ticks(%d) = %s, want %s", tc.span, got, tc.want)
		}
	}
}

func TestItemLanes(t *testing.T) {
	at := func(ms int) *time.Time { x := goldenStart.Add(time.Duration(ms) * time.Millisecond); return &x }
	items := []Item{
		{Index: 0, StartedAt: at(0), DurationMS: 100},
		{Index: 1, StartedAt: at(0), DurationMS: 50},
		{Index: 2, StartedAt: at(50), DurationMS: 50},
		{Index: 3},
		{Index: 4, StartedAt: at(100), DurationMS: 10},
	}
	n, lanes := itemLanes(items)
	if n != 2 || fmt.Sprint(lanes) != "[0 1 1 0 0]" {
		t.Errorf("itemLanes = %d %v, want 2 [0 1 1 0 0]", n, lanes)
	}
}

// TestHTMLListsFailedItemsOfALargeFanOut: past htmlMaxItems items, the
// details list the items that failed wherever they are, not only the
// first ones.
func TestHTMLListsFailedItemsOfALargeFanOut(t *testing.T) {
	start := goldenStart
	s := Step{ID: "fan", Op: "shell.exec", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
		Error: &Error{Class: "execution", Message: "1 of 600 items failed"}}
	for i := range htmlMaxItems + 100 {
		it := Item{Index: i, Item: fmt.Sprintf("host-%d", i), Status: StatusSucceeded, Attempts: 1}
		if i == htmlMaxItems+50 {
			it.Status, it.Error = StatusFailed, &Error{Class: "execution", Message: "disk full on host-550"}
		}
		s.Items = append(s.Items, it)
	}
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start, Steps: []Step{s}}
	out := renderHTML(t, r)
	if !strings.Contains(out, "disk full on host-550") {
		t.Error("the item that failed is not listed")
	}
	if !strings.Contains(out, "the 500 listed are those that did not succeed, then the first that did; 100 more are in the JSON report") {
		t.Error("no line says which items are listed")
	}
}
