package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestEmptyFanOutSaysSo: a fan-out whose foreach gave no item keeps its
// (empty) item counts in the JSON report, which tell it from a step
// without foreach, and every format's note says it had no item, where a
// fan-out that did nothing otherwise reads as a plain step that did.
func TestEmptyFanOutSaysSo(t *testing.T) {
	started := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusSucceeded, StartedAt: goldenStart, FinishedAt: goldenStart,
		Steps: []Step{
			{ID: "fan", Op: "control.log", Section: "steps", Status: StatusSucceeded, StartedAt: &started, ItemCounts: map[Status]int{}},
			{ID: "plain", Op: "control.log", Section: "steps", Status: StatusSucceeded, StartedAt: &started, Attempts: 1},
		}}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `"item_counts":{}`); n != 1 || strings.Contains(string(data), `"item_counts":null`) {
		t.Fatalf("want item_counts {} on the fan-out only:\n%s", data)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if rows := textRows(renderText(t, &back), "fan", "plain"); len(rows) != 2 || !strings.HasSuffix(rows[0], " "+EmptyFanOutNote) || strings.Contains(rows[1], "items") {
		t.Errorf("text rows %q, want the fan-out's note %q and none on the plain step", rows, EmptyFanOutNote)
	}
	var md, html, junit bytes.Buffer
	if err := WriteMarkdown(&md, &back); err != nil {
		t.Fatal(err)
	}
	if want := mdCell(EmptyFanOutNote, 100) + " |"; !strings.Contains(md.String(), want) {
		t.Errorf("the Markdown lacks %q:\n%s", want, md.String())
	}
	if err := WriteHTML(&html, &back); err != nil {
		t.Fatal(err)
	}
	if want := `<p class="meta">` + EmptyFanOutNote + "</p>"; !strings.Contains(html.String(), want) {
		t.Errorf("the HTML lacks %q", want)
	}
	if err := WriteJUnit(&junit, &back); err != nil {
		t.Fatal(err)
	}
	if want := "items: " + EmptyFanOutNote; !strings.Contains(junit.String(), want) {
		t.Errorf("the JUnit lacks %q:\n%s", want, junit.String())
	}
}
