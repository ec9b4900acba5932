package history

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestWriteRunsFitsATerminal: on a terminal the history table is cut to
// its width rather than wrapped into the next row: the run ids are
// shortened to a start that history show takes when the columns before
// NOTE would leave it too little room, and a line still too long ends in
// "…"; without a width it is written whole.
func TestWriteRunsFitsATerminal(t *testing.T) {
	runs := []Run{
		{ID: "20261205T101057-37f62b5b92cf46427df9ae898ce9df7b", Playbook: "nightly", Status: report.StatusFailed, StartedAt: t0,
			FinishedAt: ptr(t0.Add(27 * time.Millisecond)), DurationMS: 27, Roles: []string{},
			Error: &report.Error{Class: "execution", Message: "step bad failed: exit code 3 is not in ok_codes [0]"}},
		{ID: "20261205T102342-e3b334693317843791a75e23d4ca57b0", Playbook: "nightly", Status: report.StatusSucceeded, StartedAt: t0,
			FinishedAt: ptr(t0.Add(12 * time.Millisecond)), DurationMS: 12, Roles: []string{}},
	}
	write := func(width int) string {
		var b bytes.Buffer
		if err := WriteRunsFit(&b, runs, width); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	want := `STARTED (UTC)        RUN                       PLAYBOOK  STATUS       DURATION  NOTE
2025-03-14 09:00:00  20261205T101057-37f62b5b  nightly   ✗ failed     27ms      execution: step bad…
2025-03-14 09:00:00  20261205T102342-e3b33469  nightly   ✓ succeeded  12ms
`
	if diff := cmp.Diff(want, write(100)); diff != "" {
		t.Errorf("the table at 100 columns (-want +got):\n%s", diff)
	}
	var whole bytes.Buffer
	if err := WriteRuns(&whole, runs, false); err != nil {
		t.Fatal(err)
	}
	if got := write(0); got != whole.String() || !bytes.Contains(whole.Bytes(), []byte(runs[0].ID+"  nightly")) ||
		!bytes.Contains(whole.Bytes(), []byte("not in ok_codes [0]\n")) {
		t.Errorf("the table without a width:\n%s\nwant every id and note whole, as WriteRuns writes it:\n%s", got, whole.String())
	}
	// Wide enough: the ids whole, the note cut.
	if got := write(150); !bytes.Contains([]byte(got), []byte(runs[0].ID+"  nightly")) || !bytes.HasSuffix([]byte(got), []byte("12ms\n")) {
		t.Errorf("the table at 150 columns:\n%s", got)
	}
}

// TestWriteRunsFitsColumns: a note in Chinese, two columns a character,
// is cut at the terminal's columns, not at as many characters, which the
// terminal would wrap into the next row.
func TestWriteRunsFitsColumns(t *testing.T) {
	runs := []Run{{ID: "20261205T101057-37f62b5b92cf46427df9ae898ce9df7b", Playbook: "nightly", Status: report.StatusFailed, StartedAt: t0,
		FinishedAt: ptr(t0.Add(27 * time.Millisecond)), DurationMS: 27, Roles: []string{},
		Error: &report.Error{Class: "execution", Message: "磁盘空间不足请清理日志目录"}}}
	var b bytes.Buffer
	if err := WriteRunsFit(&b, runs, 100); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if w := termtext.Width(l); w > 100 {
			t.Errorf("a line %d columns wide, past 100: %q", w, l)
		}
	}
	if !strings.Contains(b.String(), "execution: 磁盘空间不…\n") {
		t.Errorf("the note is not cut at the width:\n%s", b.String())
	}
}

// TestWriteRunsKeepsStatusUnderLongName: a playbook name too long for an
// 80-column terminal is cut with "…" so that every run's STATUS and
// DURATION stay whole, rather than the line being cut through them.
func TestWriteRunsKeepsStatusUnderLongName(t *testing.T) {
	runs := []Run{
		{ID: "20261205T101057-37f62b5b92cf46427df9ae898ce9df7b", Playbook: "nightly-database-backup-and-rotation", Status: report.StatusFailed, StartedAt: t0,
			FinishedAt: ptr(t0.Add(1500 * time.Millisecond)), DurationMS: 1500, Roles: []string{},
			Error: &report.Error{Class: "execution", Message: "step bad failed: exit code 3 is not in ok_codes [0]"}},
		{ID: "20261205T102342-e3b334693317843791a75e23d4ca57b0", Playbook: "short", Status: report.StatusSucceeded, StartedAt: t0,
			FinishedAt: ptr(t0.Add(12 * time.Millisecond)), DurationMS: 12, Roles: []string{}},
	}
	var b bytes.Buffer
	if err := WriteRunsFit(&b, runs, 80); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	for i, want := range []string{"STATUS       DURATION", "✗ failed     1.5s", "✓ succeeded  12ms"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d lacks %q whole:\n%s", i, want, b.String())
		}
	}
	if !strings.Contains(lines[1], "  nightly-d…  ") {
		t.Errorf("the long name is not cut with …:\n%s", b.String())
	}
	for _, l := range lines {
		if w := termtext.Width(l); w > 80 || strings.HasSuffix(l, "…") {
			t.Errorf("a line %d columns wide, or cut, at 80: %q", w, l)
		}
	}
	// Wider: the note keeps its column beside the cut name.
	b.Reset()
	if err := WriteRunsFit(&b, runs, 100); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "DURATION  NOTE\n") || !strings.Contains(b.String(), "  nightly-database-backup…  ✗ failed     1.5s      exe…\n") {
		t.Errorf("the table at 100 columns:\n%s", b.String())
	}
}

// TestWriteRunsMarksDryRunWithoutNotes: on an 80-column terminal, where
// the NOTE column that says "dry run" is left out, a dry run's STATUS
// says "dry run" beside the icon of its status, so that a dry run never
// reads as a run that changed something; a real run keeps its status, and
// with the NOTE column the dry run keeps its status too.
func TestWriteRunsMarksDryRunWithoutNotes(t *testing.T) {
	runs := []Run{
		{ID: "20261205T101057-37f62b5b92cf46427df9ae898ce9df7b", Playbook: "flaky-deploy", Status: report.StatusSucceeded, StartedAt: t0,
			FinishedAt: ptr(t0.Add(12 * time.Millisecond)), DurationMS: 12, Roles: []string{}, DryRun: true},
		{ID: "20261205T102342-e3b334693317843791a75e23d4ca57b0", Playbook: "flaky-deploy", Status: report.StatusSucceeded, StartedAt: t0,
			FinishedAt: ptr(t0.Add(20 * time.Millisecond)), DurationMS: 20, Roles: []string{}},
		{ID: "20261205T103342-a3b334693317843791a75e23d4ca57b0", Playbook: "flaky-deploy", Status: report.StatusFailed, StartedAt: t0,
			FinishedAt: ptr(t0.Add(20 * time.Millisecond)), DurationMS: 20, Roles: []string{}, DryRun: true,
			Error: &report.Error{Class: "execution", Message: "step x failed"}},
	}
	var b bytes.Buffer
	if err := WriteRunsFit(&b, runs, 80); err != nil {
		t.Fatal(err)
	}
	want := `STARTED (UTC)        RUN                       PLAYBOOK    STATUS       DURATION
2025-03-14 09:00:00  20261205T101057-37f62b5b  flaky-dep…  ✓ dry run    12ms
2025-03-14 09:00:00  20261205T102342-e3b33469  flaky-dep…  ✓ succeeded  20ms
2025-03-14 09:00:00  20261205T103342-a3b33469  flaky-dep…  ✗ dry run    20ms
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("the table at 80 columns (-want +got):\n%s", diff)
	}
	b.Reset()
	if err := WriteRunsFit(&b, runs, 0); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, "✓ succeeded  12ms      dry run\n") || !strings.Contains(got, "✗ failed     20ms      dry run; execution: step x failed\n") {
		t.Errorf("the table with its NOTE column:\n%s", got)
	}
}

// TestWriteRunsKeepsStatusOnANarrowTerminal: on a terminal narrower than
// the columns up to DURATION (60 columns, a phone's, a split pane), the
// lines were cut through STATUS, so that nobody could tell which runs
// failed; STATUS and DURATION now lead, and what does not fit is cut
// after them.
func TestWriteRunsKeepsStatusOnANarrowTerminal(t *testing.T) {
	runs := []Run{
		{ID: "20261205T101057-37f62b5b92cf46427df9ae898ce9df7b", Playbook: "nightly", Status: report.StatusFailed, StartedAt: t0,
			FinishedAt: ptr(t0.Add(27 * time.Millisecond)), DurationMS: 27, Roles: []string{},
			Error: &report.Error{Class: "execution", Message: "step bad failed"}},
		{ID: "20261205T102342-e3b334693317843791a75e23d4ca57b0", Playbook: "nightly", Status: report.StatusSucceeded, StartedAt: t0,
			FinishedAt: ptr(t0.Add(12 * time.Millisecond)), DurationMS: 12, Roles: []string{}},
	}
	for _, width := range []int{40, 60} {
		var b bytes.Buffer
		if err := WriteRunsFit(&b, runs, width); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		for i, want := range []string{"STATUS       DURATION", "✗ failed     27ms      20261205T101057-", "✓ succeeded  12ms      20261205T102342-"} {
			if !strings.HasPrefix(lines[i], want) {
				t.Errorf("at %d columns, line %d does not start with %q:\n%s", width, i, want, b.String())
			}
		}
		for _, l := range lines {
			if w := termtext.Width(l); w > width {
				t.Errorf("a line %d columns wide, past %d: %q", w, width, l)
			}
		}
	}
}
