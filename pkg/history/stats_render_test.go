package history

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// TestWriteStatsFitsTheTerminal: on an 80-column terminal no stats row
// runs past the width into the next: the CPU columns go to a table of
// their own, and a long playbook name is cut, its numbers kept; piped,
// the tables are as wide as they need.
func TestWriteStatsFitsTheTerminal(t *testing.T) {
	ops := []OpStats{
		{Op: "control.sleep", Count: 3, P50MS: 10, P95MS: 15, P99MS: 15},
		{Op: "shell.exec", Count: 3, P50MS: 12, P95MS: 13, P99MS: 13, CPU: &CPUStats{Count: 3, P50MS: 3, P95MS: 3, MaxRSSKB: 34304}},
	}
	pbs := []PlaybookStats{{Playbook: "a-really-long-playbook-name-for-checking-column-widths-in-tables", Count: 3, Timed: 3, P50MS: 35, P95MS: 221, P99MS: 221}}
	var b strings.Builder
	win := StatsWindow{Since: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}
	if err := WriteStatsFit(&b, win, ops, pbs, 80); err != nil {
		t.Fatal(err)
	}
	want := `calls and runs started from 2026-12-05 02:00:00 UTC to now

OPERATION      CALLS  ERRORS  ERROR RATE  P50   P95   P99
control.sleep  3      0       0.0%        10ms  15ms  15ms
shell.exec     3      0       0.0%        12ms  13ms  13ms

OPERATION   CPU P50  CPU P95  MAX RSS
shell.exec  3ms      3ms      33.5 MiB

PLAYBOOK                     RUNS  FAILED  ERROR RATE  TIMED  P50   P95    P99
a-really-long-playbook-nam…  3     0       0.0%        3      35ms  221ms  221ms
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("at 80 columns (-want +got):\n%s", diff)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if utf8.RuneCountInString(l) > 80 {
			t.Errorf("line wider than 80: %q", l)
		}
	}
	b.Reset()
	if err := WriteStatsFit(&b, StatsWindow{}, ops, pbs, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "MAX RSS\ncontrol.sleep") || !strings.Contains(b.String(), pbs[0].Playbook+"  3") {
		t.Errorf("piped, the tables changed:\n%s", b.String())
	}
}

// TestWriteStatsRateIsNotRoundedAway: one failed call in 10,000 is not
// the "0.0%" of none, and 9,999 in 10,000 not the "100.0%" of every one.
func TestWriteStatsRateIsNotRoundedAway(t *testing.T) {
	ops := []OpStats{
		{Op: "a.few", Count: 10_000, Errors: 1, ErrorRate: 0.0001},
		{Op: "b.most", Count: 10_000, Errors: 9_999, ErrorRate: 0.9999},
		{Op: "c.none", Count: 10_000},
		{Op: "d.all", Count: 10_000, Errors: 10_000, ErrorRate: 1},
		{Op: "e.half", Count: 1_000, Errors: 1, ErrorRate: 0.001},
	}
	pbs := []PlaybookStats{{Playbook: "nightly", Count: 10_000, Errors: 1, ErrorRate: 0.0001, Timed: 10_000}}
	var b strings.Builder
	if err := WriteStatsFit(&b, StatsWindow{}, ops, pbs, 0); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a.few": "<0.1%", "b.most": ">99.9%", "c.none": "0.0%", "d.all": "100.0%", "e.half": "0.1%", "nightly": "<0.1%"}
	got := map[string]string{}
	for _, l := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(l); len(f) > 4 && want[f[0]] != "" {
			got[f[0]] = f[3]
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error rates (-want +got):\n%s\n%s", diff, b.String())
	}
}

func TestWriteStats(t *testing.T) {
	ops := []OpStats{
		{Op: "http.request", Count: 120, Errors: 3, ErrorRate: 0.025, P50MS: 120, P95MS: 1200, P99MS: 2000},
		{Op: "shell.exec", Count: 7, P50MS: 15, P95MS: 40, P99MS: 40, CPU: &CPUStats{Count: 7, P50MS: 12, P95MS: 1500, MaxRSSKB: 204800}},
	}
	// Of deploy's 5 runs, one was cancelled and one refused before any
	// step: the table says its percentiles are of the 3 others.
	pbs := []PlaybookStats{{Playbook: "deploy", Count: 5, Errors: 2, ErrorRate: 0.4, Timed: 3, P50MS: 9870, P95MS: 61000, P99MS: 61000},
		{Playbook: "oom", Count: 1, Errors: 1, ErrorRate: 1}} // interrupted: no duration known
	// After an incident the window is given: the output names it, so a
	// reader knows what the numbers cover.
	win := StatsWindow{Since: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC), Until: time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)}
	var b bytes.Buffer
	if err := WriteStats(&b, win, ops, pbs, false); err != nil {
		t.Fatal(err)
	}
	want := `calls and runs started from 2026-12-05 02:00:00 UTC to 2026-12-05 03:00:00 UTC

OPERATION     CALLS  ERRORS  ERROR RATE  P50    P95   P99   CPU P50  CPU P95  MAX RSS
http.request  120    3       2.5%        120ms  1.2s  2.0s  -        -        -
shell.exec    7      0       0.0%        15ms   40ms  40ms  12ms     1.5s     200.0 MiB

PLAYBOOK  RUNS  FAILED  ERROR RATE  TIMED  P50   P95   P99
deploy    5     2       40.0%       3      9.9s  1m1s  1m1s
oom       1     1       100.0%      0      -     -     -
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}

	// An empty window says which window had nothing, not "this period".
	b.Reset()
	if err := WriteStats(&b, StatsWindow{Since: win.Since}, nil, nil, false); err != nil {
		t.Fatal(err)
	}
	wantEmpty := "calls and runs started from 2026-12-05 02:00:00 UTC to now\n\n" +
		"no operation calls recorded from 2026-12-05 02:00:00 UTC to now\n\n" +
		"no finished runs recorded from 2026-12-05 02:00:00 UTC to now\n"
	if diff := cmp.Diff(wantEmpty, b.String()); diff != "" {
		t.Errorf("empty text (-want +got):\n%s", diff)
	}

	b.Reset()
	if err := WriteStats(&b, StatsWindow{Since: win.Since}, nil, nil, true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("{\n  \"since\": \"2026-12-05T02:00:00Z\",\n  \"operations\": [],\n  \"playbooks\": []\n}\n", b.String()); diff != "" {
		t.Errorf("empty json (-want +got):\n%s", diff)
	}
	b.Reset()
	if err := WriteStats(&b, win, ops[:1], nil, true); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Since, Until time.Time
		Operations   []map[string]any
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Since.Equal(win.Since) || !got.Until.Equal(win.Until) {
		t.Errorf("json window: since %s until %s, want %s and %s", got.Since, got.Until, win.Since, win.Until)
	}
	wantOp := map[string]any{"op": "http.request", "count": float64(120), "errors": float64(3), "error_rate": 0.025, "p50_ms": float64(120), "p95_ms": float64(1200), "p99_ms": float64(2000)}
	if diff := cmp.Diff(wantOp, got.Operations[0]); diff != "" {
		t.Errorf("json op (-want +got):\n%s", diff)
	}
}

// TestWriteStatsKeepsPercentilesOnANarrowTerminal: at 40 columns (a
// phone's terminal, a split pane) each stats row was cut after ERROR
// RATE, so that P50, P95 and P99 were lost; the calls and errors, then
// the percentiles, now go to tables of their own, each within the width.
func TestWriteStatsKeepsPercentilesOnANarrowTerminal(t *testing.T) {
	ops := []OpStats{
		{Op: "control.sleep", Count: 3, Errors: 1, ErrorRate: 1.0 / 3, P50MS: 10, P95MS: 15, P99MS: 1500},
		{Op: "shell.exec", Count: 3, P50MS: 12, P95MS: 13, P99MS: 13, CPU: &CPUStats{Count: 3, P50MS: 3, P95MS: 3, MaxRSSKB: 34304}},
	}
	pbs := []PlaybookStats{{Playbook: "nightly-backup", Count: 3, Errors: 1, ErrorRate: 1.0 / 3, Timed: 2, P50MS: 35, P95MS: 221, P99MS: 221}}
	var b strings.Builder
	win := StatsWindow{Since: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}
	if err := WriteStatsFit(&b, win, ops, pbs, 40); err != nil {
		t.Fatal(err)
	}
	want := `calls and runs started from 2026-12-05…

OPERATION      CALLS  ERRORS
control.sleep  3      1 (33.3%)
shell.exec     3      0 (0.0%)

OPERATION      P50   P95   P99
control.sleep  10ms  15ms  1.5s
shell.exec     12ms  13ms  13ms

OPERATION   CPU P50  CPU P95  MAX RSS
shell.exec  3ms      3ms      33.5 MiB

PLAYBOOK        RUNS  FAILED     TIMED
nightly-backup  3     1 (33.3%)  2

PLAYBOOK        P50   P95    P99
nightly-backup  35ms  221ms  221ms
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("at 40 columns (-want +got):\n%s", diff)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if utf8.RuneCountInString(l) > 40 {
			t.Errorf("line wider than 40: %q", l)
		}
	}
}
