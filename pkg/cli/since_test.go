package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSinceDateSaysTheDurationToGive: --since takes how long ago or a time
// with its zone, and a tired reader gives it a time without one (a date,
// a date and time, "yesterday"): the refusal names the moment in UTC, as
// the history shows times, the duration that reaches back to it and the
// time with its zone, which --since then takes.
func TestSinceDateSaysTheDurationToGive(t *testing.T) {
	const takes = ` is a time without a zone, and --since takes how long ago (30m, 24h, 2d or 1w) or an RFC 3339 time: `
	state := filepath.Join(t.TempDir(), "state")
	for _, cmd := range []string{"history", "stats"} {
		// A date in another form, and a word: both forms are named.
		runMain(t, cmd, "--state-dir", state, "--since", "12/05/2026").
			want(t, ExitUsage, nil, []string{`--since: "12/05/2026" is neither how long ago nor an RFC 3339 time; give one like 30m, 24h, 2d or 1w, or 2026-12-05T02:00:00Z`})
		runMain(t, cmd, "--state-dir", state, "--until", "now").
			want(t, ExitUsage, nil, []string{`--until: "now" is neither how long ago nor an RFC 3339 time`})
		runMain(t, cmd, "--state-dir", state, "--since", "1x").
			want(t, ExitUsage, nil, []string{`--since: "1x" is neither how long ago nor an RFC 3339 time`})
		runMain(t, cmd, "--state-dir", state, "--since", "200000d").
			want(t, ExitUsage, nil, []string{`--since: "200000d" is too long`})
		runMain(t, cmd, "--state-dir", state, "--since", "2026-12-05").
			want(t, ExitUsage, nil, []string{`--since: "2026-12-05"` + takes + `2026-12-05 00:00 UTC `})
		runMain(t, cmd, "--state-dir", state, "--until", "2026-12-05 03:00").
			want(t, ExitUsage, nil, []string{`--until: "2026-12-05 03:00" is a time without a zone, and --until takes`, `or --until 2026-12-05T03:00:00Z`})
	}
}

// TestSinceUntilWindow: "what ran between 02:00 and 03:00 last night":
// history and stats take --until as they take --since, how long ago or a
// time with its zone, and cover what started from --since to before
// --until; a window that ends before it starts is refused naming both.
func TestSinceUntilWindow(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: nightly\nsteps:\n  - {id: a, op: control.noop}\n")
	// Taken before the run: RFC 3339 in seconds cuts the fraction off, so
	// the hour before "after" starts at or before the run's start, which a
	// time taken after the run, in the next second, would leave out.
	now := time.Now().UTC()
	runMain(t, "run", pb, "--state-dir", state).want(t, ExitOK, nil, nil)
	before, after := now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)
	runMain(t, "history", "--state-dir", state, "--since", before, "--until", after).want(t, ExitOK, []string{"nightly"}, nil)
	// RFC 3339 allows a lower-case t and z, as a tired hand types them.
	runMain(t, "history", "--state-dir", state, "--since", strings.ToLower(before), "--until", strings.ToLower(after)).want(t, ExitOK, []string{"nightly"}, nil)
	runMain(t, "history", "--state-dir", state, "--since", "2h", "--until", "1h").
		want(t, ExitOK, []string{"no runs match --since 2h --until 1h\n"}, nil)
	runMain(t, "history", "--state-dir", state, "--until", before).
		want(t, ExitOK, []string{"no runs match --until " + before + "\n"}, nil)
	// The output names the window it covers, and so does an empty one:
	// after an incident the reader must know what the numbers are of.
	win := func(from, to string) string {
		at := func(v string) string {
			tm, _ := time.Parse(time.RFC3339, v)
			return tm.UTC().Format("2006-01-02 15:04:05") + " UTC"
		}
		return "from " + at(from) + " to " + at(to) + "\n"
	}
	runMain(t, "stats", "--state-dir", state, "--since", before, "--until", after).
		want(t, ExitOK, []string{"calls and runs started " + win(before, after), "control.noop", "nightly"}, nil)
	earlier := now.Add(-3 * time.Hour).Format(time.RFC3339)
	runMain(t, "stats", "--state-dir", state, "--since", earlier, "--until", before).
		want(t, ExitOK, []string{"no operation calls recorded " + win(earlier, before), "no finished runs recorded " + win(earlier, before)}, nil)
	runMain(t, "stats", "--state-dir", state, "--until", after).want(t, ExitOK, []string{"control.noop", "nightly"}, nil)
	if res := runMain(t, "stats", "--state-dir", state, "--until", "1m"); res.code != ExitOK || strings.Contains(res.stdout, "control.noop") {
		t.Errorf("stats of the hour before a minute ago: exit %d, stdout %q; want no calls", res.code, res.stdout)
	}
	for _, cmd := range []string{"history", "stats"} {
		runMain(t, cmd, "--state-dir", state, "--since", "1h", "--until", "2h").
			want(t, ExitUsage, nil, []string{"--until 2h (", " UTC) is not after --since 1h (", "--since is where the window starts and --until where it ends, so give them the other way round: --since 2h --until 1h"})
		runMain(t, cmd, "--state-dir", state, "--since", "2026-12-05T03:00:00Z", "--until", "2026-12-05T02:00:00Z").
			want(t, ExitUsage, nil, []string{"--until 2026-12-05T02:00:00Z (2026-12-05 02:00:00 UTC) is not after --since 2026-12-05T03:00:00Z (2026-12-05 03:00:00 UTC)", "--since 2026-12-05T02:00:00Z --until 2026-12-05T03:00:00Z"})
		// The same moment twice is no window either way round.
		runMain(t, cmd, "--state-dir", state, "--since", "2026-12-05T03:00:00Z", "--until", "2026-12-05T03:00:00Z").
			want(t, ExitUsage, nil, []string{"like --since 22h --until 21h"})
	}
}
