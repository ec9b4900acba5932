package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// TestRemoteRunsKeepsStatusOnANarrowTerminal: on a terminal too narrow
// for the 'remote runs' table even with its run ids wrapped (40 or 60
// columns, a phone's, a split pane), the terminal wrapped every row, so
// that nobody could tell which runs failed; STATUS and DURATION now lead,
// as in 'history', and each line is cut at the width. Piped, and on a
// wide terminal, the table is as it was.
func TestRemoteRunsKeepsStatusOnANarrowTerminal(t *testing.T) {
	rows := [][]string{
		{"20261205T101057-37f62b5b92cf46427df9ae898ce9df7b", "nightly", "failed", "api", "2026-12-05 10:10:57", "27ms"},
		{"20261205T102342-e3b334693317843791a75e23d4ca57b0", "nightly", "succeeded", "schedule", "2026-12-05 10:23:42", "12ms"},
	}
	write := func(width int) string {
		var b bytes.Buffer
		runsTable(rows, width).writeWidth(&b, palette{}, width)
		return b.String()
	}
	want40 := `STATUS     DURATION  RUN…
failed     27ms      20261205T101057-37…
succeeded  12ms      20261205T102342-e3…
`
	if diff := cmp.Diff(want40, write(40)); diff != "" {
		t.Errorf("at 40 columns (-want +got):\n%s", diff)
	}
	got := write(60)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	for i, want := range []string{"STATUS     DURATION  RUN", "failed     27ms      20261205T101057-", "succeeded  12ms      20261205T102342-"} {
		if len(lines) != 3 || !strings.HasPrefix(lines[i], want) {
			t.Fatalf("at 60 columns, line %d does not start with %q:\n%s", i, want, got)
		}
	}
	for _, l := range lines {
		if w := termtext.Width(l); w > 60 {
			t.Errorf("a line %d columns wide, past 60: %q", w, l)
		}
	}
	// Piped, and wide enough: RUN leads, every id whole on its line.
	whole := `RUN                                               PLAYBOOK  STATUS     TRIGGER   STARTED (UTC)        DURATION
20261205T101057-37f62b5b92cf46427df9ae898ce9df7b  nightly   failed     api       2026-12-05 10:10:57  27ms
20261205T102342-e3b334693317843791a75e23d4ca57b0  nightly   succeeded  schedule  2026-12-05 10:23:42  12ms
`
	for _, width := range []int{0, 120} {
		if diff := cmp.Diff(whole, write(width)); diff != "" {
			t.Errorf("at %d columns (-want +got):\n%s", width, diff)
		}
	}
	// At 80 the ids wrap within their column, as before.
	if got := write(80); !strings.HasPrefix(got, "RUN  ") || strings.Contains(got, "…") {
		t.Errorf("at 80 columns:\n%s", got)
	}
}
