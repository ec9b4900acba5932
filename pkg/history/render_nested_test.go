package history

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestWriteRunNestedRows: the rows of a sub-playbook's steps ("call/say")
// are in 'history show --json', and left out of its table, after which
// the report lists those that did not succeed (report.WriteNestedText).
func TestWriteRunNestedRows(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusSucceeded, StartedAt: at, FinishedAt: &at}
	rows := []StepRow{
		{StepID: "call", Section: "steps", Kind: "step", Attempt: 1, Op: "playbook.run", Status: report.StatusSucceeded, StartedAt: &at, DurationMS: 40},
		{StepID: "call/say", Section: "steps", Kind: "step", Attempt: 1, Op: "shell.exec", Status: report.StatusSucceeded, StartedAt: &at, DurationMS: 30},
	}
	var text strings.Builder
	if err := WriteRunReportFit(&text, run, rows, nil, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "call  playbook.run") || strings.Contains(text.String(), "call/say") {
		t.Errorf("the table lists the top-level step alone:\n%s", text.String())
	}
	var js strings.Builder
	if err := WriteRunReport(&js, run, rows, nil, true); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Steps []struct {
			ID string `json:"id"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(js.String()), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Steps) != 2 || doc.Steps[1].ID != "call/say" {
		t.Errorf("the JSON has every row: %s", js.String())
	}
}
