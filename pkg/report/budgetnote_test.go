package report

import (
	"strings"
	"testing"
)

// TestBudgetCutsAreShown: a run that cut error messages of its tries and
// outputs over its budgets says so in the text summary (`run`'s end,
// `report show`), the Markdown job summary and the HTML page, as
// `history show` does, not only in the JSON a reader must open.
func TestBudgetCutsAreShown(t *testing.T) {
	r := loadGolden(t, "continue-on-error")
	r.AttemptBudget = &AttemptBudget{LimitBytes: 4 << 20, KeptBytes: 4 << 20, CutMessages: 12, CutBytes: 34567}
	r.OutputBudget = &OutputBudget{LimitBytes: 64 << 20, KeptBytes: 64 << 20, CutOutputs: 3, CutBytes: 7890}
	const (
		tries   = "12 error messages of tries cut (34567 bytes): over the run's budget of 4 MiB for them"
		outputs = "3 outputs cut (7890 bytes): over the run's budget of 64 MiB for them"
	)

	text := renderText(t, r)
	if !strings.Contains(text, "\n  tries: "+tries+"\n  outputs: "+outputs+"\n") {
		t.Errorf("text summary has no lines with the cuts under the run's line:\n%s", text)
	}
	md := renderMarkdown(t, r)
	if !strings.Contains(md, "> [!WARNING]\n> tries: "+tries+"\n>\n> outputs: "+outputs+"\n") {
		t.Errorf("Markdown summary has no WARNING block with the cuts:\n%s", md)
	}
	html := renderHTML(t, r)
	for _, want := range []string{
		`<div class="meta warning">tries: 12 error messages of tries cut (34567 bytes): over the run&#39;s budget of 4 MiB for them</div>`,
		`<div class="meta warning">outputs: 3 outputs cut (7890 bytes): over the run&#39;s budget of 64 MiB for them</div>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML page has no %s at its head:\n%s", want, html)
		}
	}
}

// TestBudgetNotesOnlyWhenCut: a run that cut nothing (no attempt_budget,
// no output_budget) shows no such line, and a run that cut only outputs
// shows only that one.
func TestBudgetNotesOnlyWhenCut(t *testing.T) {
	r := loadGolden(t, "continue-on-error")
	for name, out := range map[string]string{"text": renderText(t, r), "markdown": renderMarkdown(t, r), "html": renderHTML(t, r)} {
		if strings.Contains(out, "over the run's budget") || strings.Contains(out, "over the run&#39;s budget") {
			t.Errorf("%s of a run that cut nothing speaks of a budget:\n%s", name, out)
		}
	}
	r.OutputBudget = &OutputBudget{LimitBytes: 1000, KeptBytes: 1000, CutOutputs: 1, CutBytes: 5}
	text := renderText(t, r)
	if strings.Contains(text, "tries:") || !strings.Contains(text, "\n  outputs: 1 output cut (5 bytes): over the run's budget of 1000 bytes for them\n") {
		t.Errorf("text summary of a run that cut only outputs:\n%s", text)
	}
}
