package report

import (
	"strings"
	"testing"
	"time"
)

// TestContinueOnErrorIsNotAFailure: a run that succeeded although steps
// failed with continue_on_error is not red on a CI page (JUnit has no
// failure or error: those steps and their failed items are skipped, saying
// why), and every format shows the steps failed, marked ignored, and
// counts them apart.
func TestContinueOnErrorIsNotAFailure(t *testing.T) {
	r := loadGolden(t, "continue-on-error")

	doc, _ := parseJUnit(t, r)
	if s := doc.Suites[0]; s.Failures != "0" || s.Errors != "0" {
		t.Errorf("JUnit failures=%s errors=%s for a run that succeeded", s.Failures, s.Errors)
	}
	skipped := map[string]*xSkipped{}
	for _, c := range doc.Suites[0].Cases {
		skipped[c.Name] = c.Skipped
	}
	for _, name := range []string{"lint", "sweep", "sweep[web-3]"} {
		sk := skipped[name]
		if sk == nil || !strings.HasPrefix(sk.Message, "ignored: continue_on_error let the run go on after this failure: execution: ") {
			t.Errorf("JUnit %s: skipped = %+v, want one that says continue_on_error excused its failure", name, sk)
		}
	}
	if sk := skipped["sweep[web-3]"]; sk == nil || !strings.HasSuffix(sk.Message, "disk full on web-3") {
		t.Errorf("JUnit sweep[web-3]: skipped = %+v, want the reason at the end", sk)
	}
	if skipped["sweep[web-1]"] != nil {
		t.Error("JUnit: an item that succeeded is skipped")
	}

	text := renderText(t, r)
	if first, _, _ := strings.Cut(text, "\n"); !strings.HasSuffix(first, "; 2 steps failed but were ignored (continue_on_error)") {
		t.Errorf("text status line = %q, want it to count the ignored failures", first)
	}
	for _, id := range []string{"lint ", "sweep "} {
		if row := lineWith(text, "✗  "+id); !strings.Contains(row, "failed") || !strings.Contains(row, "ignored: continue_on_error; ") {
			t.Errorf("text row of %s = %q, want it failed and ignored", id, row)
		}
	}

	md := renderMarkdown(t, r)
	if !strings.Contains(md, "4 steps: 1 succeeded, 2 failed but ignored (continue\\_on\\_error), 1 skipped") &&
		!strings.Contains(md, "4 steps: 1 succeeded, 2 failed but ignored (continue_on_error), 1 skipped") {
		t.Errorf("Markdown does not count the ignored failures apart:\n%s", md)
	}
	if row := lineWith(md, "| `lint` |"); !strings.HasPrefix(row, "| ❌ |") || !strings.Contains(row, "| failed |") || !strings.Contains(row, `ignored: continue\_on\_error; `) {
		t.Errorf("Markdown row of lint = %q, want it failed and ignored", row)
	}

	page := renderHTML(t, r)
	for _, want := range []string{"· failed (ignored: continue_on_error) ·", "<dt>Ignored</dt><dd>it failed, and continue_on_error let the run go on</dd>", "2 failed but ignored (continue_on_error)"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}

	// Without the mark, the same failure is one.
	r.Steps[0].Ignored = false
	doc, _ = parseJUnit(t, r)
	if s := doc.Suites[0]; s.Failures != "1" {
		t.Errorf("JUnit failures=%s for a failed step without continue_on_error, want 1", s.Failures)
	}
}

// TestRescuedIsNotAFailure: a step its rescue steps recovered stays
// failed, marked rescued, in every format, but no format counts it as a
// failure of a run that succeeded: the text status line, Markdown and
// HTML count it apart, and JUnit skips it, saying why.
func TestRescuedIsNotAFailure(t *testing.T) {
	r := loadGolden(t, "rescue-handlers")
	r.Steps = r.Steps[:4] // deploy (rescued), its rescue steps, smoke
	r.Status, r.Error = StatusSucceeded, nil

	doc, _ := parseJUnit(t, r)
	if s := doc.Suites[0]; s.Failures != "0" || s.Errors != "0" {
		t.Errorf("JUnit failures=%s errors=%s for a run that succeeded", s.Failures, s.Errors)
	}
	if sk := doc.Suites[0].Cases[0].Skipped; sk == nil || !strings.HasPrefix(sk.Message, "rescued: its rescue steps recovered the run after this failure: execution: ") {
		t.Errorf("JUnit deploy: skipped = %+v, want one that says its rescue recovered it", sk)
	}

	text := renderText(t, r)
	if first, _, _ := strings.Cut(text, "\n"); !strings.HasSuffix(first, "; 1 step failed but was rescued") {
		t.Errorf("text status line = %q, want it to count the rescued failure", first)
	}
	const counts = "4 steps: 3 succeeded, 1 failed but rescued"
	if md := renderMarkdown(t, r); !strings.Contains(md, counts+"\n") {
		t.Errorf("Markdown does not count the rescued failure apart:\n%s", md)
	}
	page := renderHTML(t, r)
	for _, want := range []string{counts + " ·", "· failed (rescued) ·", "<dt>Rescued</dt>"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// TestLabelsCleanedTheSameEverywhere: a label with terminal escape
// sequences shows as the same text in every format, the JUnit testcase
// name included.
func TestLabelsCleanedTheSameEverywhere(t *testing.T) {
	r := fleetReport()
	r.Steps[0].ID = "evil"
	r.Steps[0].Items[1].Label = "x\x1b[31mRED\x1b[0m\x1bPq#0\x1b\\\x1b]0;title\x07"
	doc, _ := parseJUnit(t, r)
	if got := doc.Suites[0].Cases[2].Name; got != "evil[xRED]" {
		t.Errorf("JUnit testcase name = %q, want evil[xRED]", got)
	}
	for format, out := range map[string]string{"text": renderText(t, r), "markdown": renderMarkdown(t, r), "html": renderHTML(t, r)} {
		if !strings.Contains(out, "xRED") || strings.ContainsAny(out, "\x1b") || strings.Contains(out, "[31m") || strings.Contains(out, "q#0") || strings.Contains(out, "0;title") {
			t.Errorf("%s does not show the label as xRED:\n%s", format, out)
		}
	}
}

// TestTimelinePlacesALateSkipAfterTheStepsBefore: a step skipped once the
// steps before it had ended (it has no started_at) is drawn where they
// ended, not at the run's start.
func TestTimelinePlacesALateSkipAfterTheStepsBefore(t *testing.T) {
	r := loadGolden(t, "continue-on-error")
	tl := newTimeline(r)
	page := tl.Rows[2]
	if page.ID != "page" || page.Status != StatusSkipped {
		t.Fatalf("row 2 is %s %s, want the skipped step page", page.ID, page.Status)
	}
	sweep := &r.Steps[1]
	endMS := sweep.StartedAt.Add(time.Duration(sweep.DurationMS) * time.Millisecond).Sub(r.StartedAt).Milliseconds()
	want := px(tlLabelW + float64(endMS)/float64(r.DurationMS)*tlChartW)
	if page.Bar.X != want {
		t.Errorf("the skipped step's marker is at x=%s, want %s (where sweep ended, %dms)", page.Bar.X, want, endMS)
	}
	if page.Note != "skipped: when is false: inputs.page" {
		t.Errorf("note = %q", page.Note)
	}
	// A step skipped before anything ran stays at the start.
	r.Steps = r.Steps[2:]
	if x := newTimeline(r).Rows[0].Bar.X; x != px(tlLabelW) {
		t.Errorf("a step skipped first is at x=%s, want %s", x, px(tlLabelW))
	}
}
