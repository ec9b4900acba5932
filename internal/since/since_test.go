package since

import (
	"testing"
	"time"
)

// TestTimeHintSaysTheDurationToGive: a time without a zone (a date, a
// date and time) or a day's name ("yesterday") is refused naming the moment in UTC, as the
// history shows times, the duration that reaches back to it and the time
// with its zone, written as the reader writes the value: a flag for the
// command line, a query parameter for the API.
func TestTimeHintSaysTheDurationToGive(t *testing.T) {
	now := time.Date(2026, 12, 5, 22, 52, 30, 0, time.UTC)
	const takes = ` is a time without a zone, and --since takes how long ago (30m, 24h, 2d or 1w) or an RFC 3339 time: `
	// A day's name is no time without a zone.
	const dayTakes = ` is a day's name, and --since takes how long ago (30m, 24h, 2d or 1w) or an RFC 3339 time: `
	for _, c := range []struct{ v, want string }{
		{"2026-12-05", `"2026-12-05"` + takes + `2026-12-05 00:00 UTC was 22h53m ago; give --since 22h53m, or --since 2026-12-05T00:00:00Z`},
		{"2026-12-04 21:00", `"2026-12-04 21:00"` + takes + `2026-12-04 21:00 UTC was 25h53m ago; give --since 25h53m, or --since 2026-12-04T21:00:00Z`},
		{"yesterday", `"yesterday"` + dayTakes + `2026-12-04 00:00 UTC was 46h53m ago; give --since 46h53m, or --since 2026-12-04T00:00:00Z`},
		{"Today", `"Today"` + dayTakes + `2026-12-05 00:00 UTC was 22h53m ago; give --since 22h53m, or --since 2026-12-05T00:00:00Z`},
		{"2026-12-06", `"2026-12-06"` + takes + `2026-12-06 00:00 UTC is still to come; give how long ago, like 24h, or --since 2026-12-06T00:00:00Z`},
	} {
		got, ok := TimeHint(Flag("since"), c.v, now)
		if !ok || got != c.want {
			t.Errorf("TimeHint(%q) = %q, %v; want %q", c.v, got, ok, c.want)
		}
	}
	if got, ok := TimeHint(Flag("since"), "soon", now); ok {
		t.Errorf("TimeHint(soon) = %q; want no hint", got)
	}
	got, ok := TimeHint(Param("since"), "2026-12-05", now)
	want := `"2026-12-05" is a time without a zone, and since takes how long ago (30m, 24h, 2d or 1w) or an RFC 3339 time: 2026-12-05 00:00 UTC was 22h53m ago; give since=22h53m, or since=2026-12-05T00:00:00Z`
	if !ok || got != want {
		t.Errorf("TimeHint(since=2026-12-05) = %q, %v; want %q", got, ok, want)
	}
}
