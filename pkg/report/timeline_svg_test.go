package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTimelineSVGStandalone: the timeline on its own is one well-formed
// SVG document with its styles inside, no script, one bar per step, the
// same bars as the HTML report's, and step text escaped.
func TestTimelineSVGStandalone(t *testing.T) {
	for _, name := range goldenInputs {
		r := loadGolden(t, name)
		var b bytes.Buffer
		if err := WriteTimelineSVG(&b, r); err != nil {
			t.Fatal(err)
		}
		svg := b.String()
		if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg"`) || !strings.HasSuffix(svg, "</svg>") {
			t.Errorf("%s: not one SVG document: %.80q ... %.20q", name, svg, svg[max(0, len(svg)-20):])
		}
		wellFormed(t, name, svg)
		if !strings.Contains(svg, "<style>") || !strings.Contains(svg, "prefers-color-scheme:dark") || strings.Contains(svg, "<script") {
			t.Errorf("%s: the SVG lacks its own light and dark styles, or has a script", name)
		}
		page := renderHTML(t, r)
		if got, want := dataStep.FindAllString(svg, -1), dataStep.FindAllString(page, -1); strings.Join(got, " ") != strings.Join(want, " ") || len(got) != len(r.Steps) {
			t.Errorf("%s: bars %v, the HTML report's %v", name, got, want)
		}
	}
	start := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "x", Status: StatusFailed, StartedAt: start, FinishedAt: start.Add(time.Second), DurationMS: 1000,
		Steps: []Step{{ID: "evil", Name: `<script>alert(1)</script>"><img src=x onerror=alert(2)>`, Op: "x.y", Section: "steps", Status: StatusSkipped, Reason: "</text><script>alert(3)</script>"}}}
	var b bytes.Buffer
	if err := WriteTimelineSVG(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script") || strings.Contains(b.String(), "<img") {
		t.Errorf("step text reached the SVG as markup:\n%s", b.String())
	}
	wellFormed(t, "escaped", b.String())
}

func wellFormed(t *testing.T, name, doc string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Errorf("%s: the SVG is not well-formed XML: %v", name, err)
			return
		}
	}
}

// TestTimelineOfARunningRun: a live run's snapshot shows a started step
// as running: the console's ● in the running colour, a bar that reaches
// the snapshot's now and says for how long, and the colour in the legend.
func TestTimelineOfARunningRun(t *testing.T) {
	start := goldenStart
	at := func(s int) *time.Time { t := start.Add(time.Duration(s) * time.Second); return &t }
	r := &Report{ReportVersion: FormatVersion, RunID: "x", Status: statusRunning, StartedAt: start, DurationMS: 10_000,
		Steps: []Step{
			{ID: "drain", Op: "shell.exec", Section: "steps", Status: StatusSucceeded, StartedAt: at(0), DurationMS: 2000, Attempts: 1},
			{ID: "restart", Op: "shell.exec", Section: "steps", Status: statusRunning, StartedAt: at(2)},
		}}
	var b bytes.Buffer
	if err := WriteTimelineSVG(&b, r); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	wellFormed(t, "running", svg)
	if strings.Contains(svg, ">?<") {
		t.Errorf("a status is drawn as ?:\n%s", svg)
	}
	for _, want := range []string{`class="t-running">●</text>`, "restart (shell.exec): running for 8.0s", ".s-running{fill:var(--running)}", `>running</text>`} {
		if !strings.Contains(svg, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, svg)
		}
	}
	tl := newTimeline(r)
	bar := tl.Rows[1].Bar
	num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	if got, want := num(bar.X)+num(bar.W), num(tl.ChartEnd); math.Abs(got-want) > 0.2 {
		t.Errorf("the running step's bar ends at %v, want the chart's end %v (now)", got, want)
	}
}

// resumedReport is a resumed run of 1 ms whose fan-out fan was reused: its
// three items of 0.3 s ran in the resumed run, before this one started.
func resumedReport() *Report {
	start := goldenStart
	before := func(ms int) *time.Time { t := start.Add(time.Duration(ms-2000) * time.Millisecond); return &t }
	var items []Item
	for i := range 3 {
		items = append(items, Item{Index: i, Item: i, Status: StatusSucceeded, StartedAt: before(i * 5), DurationMS: 300 + int64(i), Attempts: 1,
			AttemptLog: []Attempt{{Attempt: 1, StartedAt: *before(i * 5), DurationMS: 300 + int64(i)}}})
	}
	now := start.Add(time.Millisecond)
	return &Report{ReportVersion: FormatVersion, RunID: "r2", ResumedFrom: "r1", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: start, FinishedAt: now, DurationMS: 1,
		Steps: []Step{
			{ID: "fan", Op: "shell.exec", Section: "steps", Status: StatusSucceeded, Reused: true, Reason: "reused from run r1", Items: items},
			{ID: "two", Op: "control.assert", Section: "steps", Status: StatusFailed, StartedAt: &now, Attempts: 1, Error: &Error{Class: "execution", Message: "not ok"}},
		}}
}

// TestTimelineOfAResumedRun: the items of a step reused from the resumed
// run ran in that run, before this one started: the timeline draws no
// lane for them, where they would span this run's whole axis.
func TestTimelineOfAResumedRun(t *testing.T) {
	tl := newTimeline(resumedReport())
	if fan := tl.Rows[0]; len(fan.Items) != 0 || len(fan.Band) != 0 {
		t.Errorf("the reused step has %d item bars and %d band slices, want none", len(fan.Items), len(fan.Band))
	}
	if tl.Rows[1].Y != px(tlAxisH+4+tlRowH) {
		t.Errorf("the step after the reused one is at y=%s, want it right under it at %s", tl.Rows[1].Y, px(tlAxisH+4+tlRowH))
	}
	inAxis(t, "resumed", tl)
}

// TestTimelineBarsStayOnTheAxis: however a report's times fall (an item
// that started before the run, a step that ends after its recorded
// duration, a step at the very end), no bar is drawn outside the axis.
func TestTimelineBarsStayOnTheAxis(t *testing.T) {
	r := resumedReport()
	r.Steps[0].Reused = false // items before the run's start, drawn
	late := r.StartedAt.Add(time.Hour)
	r.Steps = append(r.Steps, Step{ID: "late", Op: "x.y", Section: "steps", Status: StatusSucceeded, StartedAt: &late, Attempts: 1,
		AttemptLog: []Attempt{{Attempt: 1, StartedAt: late.Add(time.Hour), DurationMS: 5000}}})
	inAxis(t, "odd times", newTimeline(r))
	for _, name := range goldenInputs {
		inAxis(t, name, newTimeline(loadGolden(t, name)))
	}
}

// inAxis checks that every bar, attempt, item and band slice of tl lies
// between the chart's start and its end.
func inAxis(t *testing.T, name string, tl timeline) {
	t.Helper()
	num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	lo, hi := num(tl.ChartX), num(tl.ChartEnd)
	for _, row := range tl.Rows {
		rects := append([]tlRect{row.Bar}, row.Attempts...)
		rects = append(append(rects, row.Items...), row.Band...)
		for _, r := range rects {
			if x, w := num(r.X), num(r.W); x < lo-0.05 || x+w > hi+0.05 || w <= 0 {
				t.Errorf("%s: step %s has a rect from %v to %v, outside the axis %v to %v (%s)", name, row.ID, x, x+w, lo, hi, r.Title)
			}
		}
	}
}

// TestTimelineNoteSaysTheStatusOnce: a step denied before it ran has a
// reason that begins with "denied: " itself; its note beside the axis
// says the status once, not "denied: denied: …".
func TestTimelineNoteSaysTheStatusOnce(t *testing.T) {
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusDenied,
		StartedAt: goldenStart, FinishedAt: goldenStart, Steps: []Step{
			{ID: "peek", Op: "file.read", Section: "steps", Status: StatusDenied, Reason: "denied: path \"/etc/hostname\" is outside the allowed file roots"},
			{ID: "later", Op: "x.y", Section: "steps", Status: StatusSkipped, Reason: "needs peek, which was denied"},
		}}
	tl := newTimeline(r)
	for i, want := range []string{`denied: path "/etc/hostname" is outside the allowed file roots`, "skipped: needs peek, which was denied"} {
		if got := tl.Rows[i].Note; got != want {
			t.Errorf("row %d's note is %q, want %q", i, got, want)
		}
	}
}
