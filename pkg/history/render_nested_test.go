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

// TestWriteRunNestedRowsFromTheReport: in 'history show --json', the rows
// of a sub-playbook's steps carry what the report says of them, as a
// top-level step's row does: the error message, the rescued mark, the
// step a rescue step rescues (by its path), a notify entry's
// notification, an item's label, also under a fan-out's sub-run.
// Before, a nested row had none of them.
func TestWriteRunNestedRowsFromTheReport(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusFailed, StartedAt: at, FinishedAt: &at}
	boom := &report.Error{Class: "execution", Message: "migration 42 failed"}
	one := 0
	child := &report.SubRun{RunID: "c", Status: report.StatusFailed, Steps: []report.Step{
		{ID: "migrate", Section: "steps", Op: "control.assert", Status: report.StatusFailed, Error: boom, Rescued: true},
		{ID: "restore", Section: "rescue", RescueOf: "migrate", Op: "control.noop", Status: report.StatusSucceeded},
		{ID: "hook", Section: "notify", Op: "notify.webhook", Status: report.StatusFailed,
			Error: &report.Error{Class: "execution", Message: "refused"}, Notification: &report.Notification{Sent: report.SentNone}},
		{ID: "ping", Section: "steps", Op: "ssh.exec", Status: report.StatusFailed, Error: boom,
			Items: []report.Item{{Index: 0, Label: "web-1", Status: report.StatusFailed, Error: boom}}},
	}}
	rep := &report.Report{RunID: "r", Steps: []report.Step{
		{ID: "call", Section: "steps", Op: "playbook.run", Status: report.StatusFailed, Sub: child},
		{ID: "fan", Section: "steps", Op: "playbook.run", Status: report.StatusFailed,
			Items: []report.Item{{Index: 0, Label: "db-1", Status: report.StatusFailed}}, Subs: []*report.SubRun{child}},
	}}
	rows := []StepRow{
		{StepID: "call", Section: "steps", Kind: "step", Attempt: 1, Op: "playbook.run", Status: report.StatusFailed},
		{StepID: "call/migrate", Section: "steps", Kind: "step", Attempt: 1, Op: "control.assert", Status: report.StatusFailed},
		{StepID: "call/migrate/rescue/restore", Section: "steps", Kind: "step", Attempt: 1, Op: "control.noop", Status: report.StatusSucceeded},
		{StepID: "call/notify/hook", Section: "steps", Kind: "step", Attempt: 1, Op: "notify.webhook", Status: report.StatusFailed},
		{StepID: "fan[db-1]/ping", Section: "steps", Kind: "item", Item: &one, Attempt: 1, Op: "ssh.exec", Status: report.StatusFailed},
	}
	var js strings.Builder
	if err := WriteRunReport(&js, run, rows, rep, true); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Steps []struct {
			ID           string               `json:"id"`
			Label        string               `json:"label"`
			Message      string               `json:"error_message"`
			Rescued      bool                 `json:"rescued"`
			RescueOf     string               `json:"rescue_of"`
			Notification *report.Notification `json:"notification"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(js.String()), &doc); err != nil {
		t.Fatal(err)
	}
	got := doc.Steps
	if len(got) != 5 {
		t.Fatalf("%d rows: %s", len(got), js.String())
	}
	if got[1].Message != "execution: migration 42 failed" || !got[1].Rescued {
		t.Errorf("call/migrate: %+v", got[1])
	}
	if got[2].RescueOf != "call/migrate" {
		t.Errorf("call/migrate/rescue/restore: rescue_of %q, want the rescued step's row id", got[2].RescueOf)
	}
	if n := got[3].Notification; n == nil || n.Sent != report.SentNone || got[3].Message != "execution: refused" {
		t.Errorf("call/notify/hook: %+v", got[3])
	}
	if got[4].Label != "web-1" || got[4].Message != "execution: migration 42 failed" {
		t.Errorf("fan[db-1]/ping item: %+v", got[4])
	}
}
