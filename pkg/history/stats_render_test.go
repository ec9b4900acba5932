package history

import (
	"strings"
	"testing"
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
	if err := WriteStatsFit(&b, ops, pbs, 80); err != nil {
		t.Fatal(err)
	}
	want := `OPERATION      CALLS  ERRORS  ERROR RATE  P50   P95   P99
control.sleep  3      0       0.0%        10ms  15ms  15ms
shell.exec     3      0       0.0%        12ms  13ms  13ms

OPERATION   CPU P50  CPU P95  MAX RSS
shell.exec  3ms      3ms      33.5 MiB

PLAYBOOK                            RUNS  FAILED  ERROR RATE  P50   P95    P99
a-really-long-playbook-name-for-c…  3     0       0.0%        35ms  221ms  221ms
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
	if err := WriteStatsFit(&b, ops, pbs, 0); err != nil {
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
	if err := WriteStatsFit(&b, ops, pbs, 0); err != nil {
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
