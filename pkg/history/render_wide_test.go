package history

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// columnOf is the terminal column where mark starts on line, or -1.
func columnOf(line, mark string) int {
	i := strings.Index(line, mark)
	if i < 0 {
		return -1
	}
	return termtext.Width(line[:i])
}

// sameColumn fails t unless each of marks, one a line of table in turn,
// starts at the same terminal column.
func sameColumn(t *testing.T, table string, marks ...string) {
	t.Helper()
	lines := strings.Split(table, "\n")
	want := columnOf(lines[0], marks[0])
	for i, m := range marks {
		if got := columnOf(lines[i], m); got != want || got < 0 {
			t.Errorf("line %d: %q at column %d, want %d as on the first line:\n%s", i, m, got, want, table)
		}
	}
}

// TestWriteRunsAlignsWideNames: playbooks named in Japanese or with
// emoji, two columns a character, keep the history table's STATUS and
// NOTE columns in line with the other rows, piped and on a terminal,
// and a long Japanese name is cut to leave STATUS and DURATION whole.
func TestWriteRunsAlignsWideNames(t *testing.T) {
	run := func(id, playbook string, st report.Status) Run {
		return Run{ID: id, Playbook: playbook, Status: st, StartedAt: t0,
			FinishedAt: ptr(t0.Add(12 * time.Millisecond)), DurationMS: 12, Roles: []string{},
			Error: &report.Error{Class: "execution", Message: "boom"}}
	}
	runs := []Run{
		run("20261205T101057-37f62b5b92cf46427df9ae898ce9df7b", "夜間バックアップ", report.StatusFailed),
		run("20261205T102342-e3b334693317843791a75e23d4ca57b0", "deploy 🚀", report.StatusFailed),
		run("20261205T103342-a3b334693317843791a75e23d4ca57b0", "nightly", report.StatusFailed),
	}
	var b bytes.Buffer
	if err := WriteRunsFit(&b, runs, 0); err != nil {
		t.Fatal(err)
	}
	sameColumn(t, b.String(), "STATUS", "✗", "✗", "✗")
	sameColumn(t, b.String(), "NOTE", "execution", "execution", "execution")

	runs[0].Playbook = strings.Repeat("夜間データベースバックアップ", 3)
	b.Reset()
	if err := WriteRunsFit(&b, runs, 80); err != nil {
		t.Fatal(err)
	}
	sameColumn(t, b.String(), "STATUS", "✗ failed", "✗ failed", "✗ failed")
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if w := termtext.Width(l); w > 80 || !strings.HasSuffix(l, "12ms") && !strings.HasSuffix(l, "DURATION") {
			t.Errorf("a line %d columns wide, or without its DURATION, at 80: %q\n%s", w, l, b.String())
		}
	}
}

// TestWriteStatsAlignsWideNames: operation and playbook names in
// Japanese keep the stats tables' numbers under their headers, and a
// long one is cut at the terminal's columns, its numbers kept.
func TestWriteStatsAlignsWideNames(t *testing.T) {
	ops := []OpStats{
		{Op: "shell.exec", Count: 3, P50MS: 12, P95MS: 13, P99MS: 13, CPU: &CPUStats{Count: 3, P50MS: 3, P95MS: 3, MaxRSSKB: 34304}},
		{Op: "プラグイン.実行", Count: 4, P50MS: 12, P95MS: 13, P99MS: 13, CPU: &CPUStats{Count: 3, P50MS: 3, P95MS: 3, MaxRSSKB: 34304}},
	}
	pbs := []PlaybookStats{
		{Playbook: "夜間バックアップ", Count: 3, Timed: 3, P50MS: 35, P95MS: 221, P99MS: 221},
		{Playbook: "nightly", Count: 5, Timed: 5, P50MS: 35, P95MS: 221, P99MS: 221},
	}
	var b strings.Builder
	win := StatsWindow{Since: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}
	if err := WriteStatsFit(&b, win, ops, pbs, 0); err != nil {
		t.Fatal(err)
	}
	tables := strings.Split(b.String(), "\n\n")
	sameColumn(t, tables[1], "CALLS", "3", "4")
	sameColumn(t, tables[1], "MAX RSS", "33.5", "33.5")
	sameColumn(t, tables[2], "RUNS", "3", "5")

	pbs[0].Playbook = strings.Repeat("夜間データベースバックアップ", 3)
	b.Reset()
	if err := WriteStatsFit(&b, win, ops, pbs, 80); err != nil {
		t.Fatal(err)
	}
	tables = strings.Split(b.String(), "\n\n")
	last := tables[len(tables)-1]
	sameColumn(t, last, "RUNS", "3", "5")
	for _, l := range strings.Split(strings.TrimSuffix(last, "\n"), "\n") {
		if w := termtext.Width(l); w > 80 || !strings.HasSuffix(l, "221ms") && !strings.HasSuffix(l, "P99") {
			t.Errorf("a line %d columns wide, or without its P99, at 80: %q\n%s", w, l, last)
		}
	}
}
