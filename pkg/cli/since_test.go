package cli

import (
	"path/filepath"
	"testing"
	"time"
)

// TestSinceDateSaysTheDurationToGive: --since takes how long ago, and a
// tired reader gives it a time instead (a date, a date and time with or
// without a zone, "yesterday"): the refusal names the moment in UTC, as
// the history shows times, and the duration that reaches back to it,
// which --since then takes.
func TestSinceDateSaysTheDurationToGive(t *testing.T) {
	now := time.Date(2026, 12, 5, 22, 52, 30, 0, time.UTC)
	for _, c := range []struct{ v, want string }{
		{"2026-12-05", `"2026-12-05" is a time, and --since takes how long ago (30m, 24h, 2d or 1w): 2026-12-05 00:00 UTC was 22h53m ago; give --since 22h53m`},
		{"2026-12-05T10:00:00+02:00", `"2026-12-05T10:00:00+02:00" is a time, and --since takes how long ago (30m, 24h, 2d or 1w): 2026-12-05 08:00 UTC was 14h53m ago; give --since 14h53m`},
		{"2026-12-04 21:00", `"2026-12-04 21:00" is a time, and --since takes how long ago (30m, 24h, 2d or 1w): 2026-12-04 21:00 UTC was 25h53m ago; give --since 25h53m`},
		{"yesterday", `"yesterday" is a time, and --since takes how long ago (30m, 24h, 2d or 1w): 2026-12-04 00:00 UTC was 46h53m ago; give --since 46h53m`},
		{"today", `"today" is a time, and --since takes how long ago (30m, 24h, 2d or 1w): 2026-12-05 00:00 UTC was 22h53m ago; give --since 22h53m`},
		{"2026-12-06", `"2026-12-06" is a time, and --since takes how long ago (30m, 24h, 2d or 1w): 2026-12-06 00:00 UTC is still to come; give how long ago, like 24h`},
	} {
		got, ok := sinceTimeHint(c.v, now)
		if !ok || got != c.want {
			t.Errorf("sinceTimeHint(%q) = %q, %v; want %q", c.v, got, ok, c.want)
		}
	}
	if got, ok := sinceTimeHint("soon", now); ok {
		t.Errorf("sinceTimeHint(soon) = %q; want no hint", got)
	}
	state := filepath.Join(t.TempDir(), "state")
	for _, cmd := range []string{"history", "stats"} {
		runMain(t, cmd, "--state-dir", state, "--since", "2026-12-05").
			want(t, ExitUsage, nil, []string{`--since: "2026-12-05" is a time, and --since takes how long ago (30m, 24h, 2d or 1w): 2026-12-05 00:00 UTC `})
	}
}
