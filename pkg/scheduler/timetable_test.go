package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustTimetable(t testing.TB, spec string, loc *time.Location) *Timetable {
	t.Helper()
	tt, err := NewTimetable(spec, loc)
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

// at reads "2006-01-02 15:04:05 MST"-style wall times with an explicit
// numeric offset, so a test names exactly one instant even in a repeated
// hour.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04 -0700", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// slots returns the first n slots after from, formatted in the
// timetable's zone with their offset.
func slots(tt *Timetable, from time.Time, n int) []string {
	var out []string
	for s := tt.Next(from); len(out) < n && !s.IsZero(); s = tt.Next(s) {
		out = append(out, s.Format("2006-01-02 15:04 -0700"))
	}
	return out
}

// TestNextAcrossDaylightSaving checks cron's usual rule in both zones the
// contract names, both ways: a wall-clock time skipped when clocks go
// forward fires once at the end of the gap, and one the clock passes twice
// fires once, at its first occurrence.
func TestNextAcrossDaylightSaving(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	berlin := mustZone(t, "Europe/Berlin")
	for _, tc := range []struct {
		name string
		spec string
		loc  *time.Location
		from string
		want []string
	}{{
		name: "new york spring forward, daily slot in the gap",
		spec: "30 2 * * *", loc: ny, from: "2026-03-07 12:00 -0500",
		want: []string{"2026-03-08 03:00 -0400", "2026-03-09 02:30 -0400"},
	}, {
		name: "new york spring forward, every 30 minutes",
		spec: "*/30 * * * *", loc: ny, from: "2026-03-08 01:00 -0500",
		// 02:00, 02:30 and 03:00 fire together once at 03:00 EDT.
		want: []string{"2026-03-08 01:30 -0500", "2026-03-08 03:00 -0400", "2026-03-08 03:30 -0400"},
	}, {
		name: "new york fall back, daily slot in the repeated hour",
		spec: "30 1 * * *", loc: ny, from: "2026-10-31 12:00 -0400",
		want: []string{"2026-11-01 01:30 -0400", "2026-11-02 01:30 -0500"},
	}, {
		name: "new york fall back, every 30 minutes",
		spec: "*/30 * * * *", loc: ny, from: "2026-11-01 00:15 -0400",
		// 01:00 and 01:30 EST were fired as 01:00 and 01:30 EDT.
		want: []string{"2026-11-01 00:30 -0400", "2026-11-01 01:00 -0400", "2026-11-01 01:30 -0400", "2026-11-01 02:00 -0500", "2026-11-01 02:30 -0500"},
	}, {
		name: "new york fall back, asked from inside the second pass",
		spec: "*/30 * * * *", loc: ny, from: "2026-11-01 01:10 -0500",
		want: []string{"2026-11-01 02:00 -0500"},
	}, {
		name: "berlin spring forward, daily slot in the gap",
		spec: "30 2 * * *", loc: berlin, from: "2026-03-28 12:00 +0100",
		want: []string{"2026-03-29 03:00 +0200", "2026-03-30 02:30 +0200"},
	}, {
		name: "berlin spring forward, slot at the end of the gap fires once",
		spec: "0 2,3 * * *", loc: berlin, from: "2026-03-29 01:00 +0100",
		want: []string{"2026-03-29 03:00 +0200", "2026-03-30 02:00 +0200"},
	}, {
		name: "berlin fall back, daily slot in the repeated hour",
		spec: "30 2 * * *", loc: berlin, from: "2026-10-24 12:00 +0200",
		want: []string{"2026-10-25 02:30 +0200", "2026-10-26 02:30 +0100"},
	}, {
		name: "berlin fall back, hourly",
		spec: "0 * * * *", loc: berlin, from: "2026-10-25 01:30 +0200",
		want: []string{"2026-10-25 02:00 +0200", "2026-10-25 03:00 +0100"},
	}, {
		name: "berlin fall back, with seconds, from inside the second pass",
		spec: "0 15 2 * * *", loc: berlin, from: "2026-10-25 02:20 +0100",
		want: []string{"2026-10-26 02:15 +0100"},
	}, {
		name: "midnight skipped (Sao Paulo 2018)",
		spec: "@daily", loc: mustZone(t, "America/Sao_Paulo"), from: "2018-11-03 12:00 -0300",
		want: []string{"2018-11-04 01:00 -0200", "2018-11-05 00:00 -0200"},
	}, {
		name: "@every is elapsed time, untouched by daylight saving",
		spec: "@every 1h", loc: ny, from: "2026-11-01 00:30 -0400",
		want: []string{"2026-11-01 01:00 -0400", "2026-11-01 01:00 -0500", "2026-11-01 02:00 -0500"},
	}, {
		name: "@every is anchored at the Unix epoch",
		spec: "@every 7m", loc: time.UTC, from: "1970-01-01 00:00 +0000",
		want: []string{"1970-01-01 00:07 +0000", "1970-01-01 00:14 +0000"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tt := mustTimetable(t, tc.spec, tc.loc)
			got := slots(tt, at(t, tc.from), len(tc.want))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("slots of %q after %s (-want +got):\n%s", tc.spec, tc.from, diff)
			}
		})
	}
}

// TestNextEveryWholeDayOfTransitions walks a minutely schedule through
// whole days of the four transitions and checks that every fire time is
// strictly later than the one before, that no wall-clock time fires twice,
// and that the number of slots is what the wall clock shows: 23 hours on
// the spring day, 24 on the autumn one.
func TestNextEveryWholeDayOfTransitions(t *testing.T) {
	for _, tc := range []struct {
		zone, day string
		hours     int
	}{
		{"America/New_York", "2026-03-08", 23},
		{"America/New_York", "2026-11-01", 24},
		{"Europe/Berlin", "2026-03-29", 23},
		{"Europe/Berlin", "2026-10-25", 24},
	} {
		loc := mustZone(t, tc.zone)
		tt := mustTimetable(t, "* * * * *", loc)
		day, _ := time.ParseInLocation("2006-01-02", tc.day, loc)
		end := day.AddDate(0, 0, 1)
		seen := map[string]bool{}
		prev := day
		n := 0
		for s := tt.Next(day.Add(-time.Nanosecond)); s.Before(end); s = tt.Next(s) {
			if !s.After(prev) && n > 0 {
				t.Fatalf("%s: %s does not come after %s", tc.zone, s, prev)
			}
			wall := s.In(loc).Format("15:04")
			if seen[wall] {
				t.Fatalf("%s %s: wall-clock time %s fired twice", tc.zone, tc.day, wall)
			}
			seen[wall] = true
			prev = s
			n++
		}
		// The gap's minutes collapse into the slot at its end; the
		// repeated hour's minutes fire once.
		if want := tc.hours * 60; n != want {
			t.Errorf("%s %s: %d slots, want %d", tc.zone, tc.day, n, want)
		}
	}
}

// TestNewTimetableRefuses checks the cron traps: specs that never fire,
// @every below a second, negative or with a fraction, and TZ prefixes.
func TestNewTimetableRefuses(t *testing.T) {
	for spec, want := range map[string]string{
		"0 0 30 2 *":            "never fires",
		"@every 500ms":          "below the minimum of 1s",
		"@every -5m":            "below the minimum of 1s",
		"@every 1500ms":         "not a whole number of seconds",
		"@every 1000000h":       "more than five years",
		"@every 2562047h":       "more than five years",
		"TZ=UTC":                "TZ= prefix",
		"CRON_TZ=UTC 0 * * * *": "TZ= prefix",
		"61 * * * *":            "61 is above 59; minutes are 0–59",
	} {
		_, err := NewTimetable(spec, time.UTC)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", spec, err, want)
		}
	}
}

func TestBetween(t *testing.T) {
	tt := mustTimetable(t, "@every 1s", time.UTC)
	start := at(t, "2026-01-01 00:00 +0000")
	got, more := tt.Between(start, start.Add(5*time.Second), 10)
	if len(got) != 5 || more || !got[0].Equal(start.Add(time.Second)) || !got[4].Equal(start.Add(5*time.Second)) {
		t.Errorf("5 seconds: %v, more %v", got, more)
	}
	// Three days of seconds: only the newest 100, found without walking
	// all 259,200.
	upTo := start.Add(72 * time.Hour)
	got, more = tt.Between(start, upTo, 100)
	if len(got) != 100 || !more || !got[99].Equal(upTo) || !got[0].Equal(upTo.Add(-99*time.Second)) {
		t.Errorf("three days: %d slots from %v to %v, more %v", len(got), got[0], got[len(got)-1], more)
	}
	// Exactly max slots in range is not "more".
	got, more = tt.Between(start, start.Add(100*time.Second), 100)
	if len(got) != 100 || more {
		t.Errorf("100 seconds: %d slots, more %v", len(got), more)
	}
	daily := mustTimetable(t, "0 3 * * *", time.UTC)
	got, more = daily.Between(start, start.Add(10*24*time.Hour), 100)
	if len(got) != 10 || more {
		t.Errorf("ten days of a daily job: %d slots, more %v", len(got), more)
	}
	if got, _ := daily.Between(start, start, 10); len(got) != 0 {
		t.Errorf("empty range: %v", got)
	}
}

// TestJitterProblem: a jitter at or above the time between fire times is
// refused, for @every by its interval, for cron by its shortest gap.
func TestJitterProblem(t *testing.T) {
	for _, tc := range []struct {
		cron   string
		jitter time.Duration
		want   string // part of the problem; "" for none
	}{
		{"@every 1m", 59 * time.Second, ""},
		{"@every 1m", time.Minute, `schedule.jitter 1m is not shorter than the 1m between fire times of cron "@every 1m"`},
		{"0,50 * * * *", 9 * time.Minute, ""},
		{"0,50 * * * *", 10 * time.Minute, "the 10m between fire times"},
		{"0 * * * *", 2 * time.Hour, "make jitter shorter than 1h"},
		{"0 0 1 1 *", 30 * 24 * time.Hour, ""},
	} {
		sc := &steps.Schedule{Cron: tc.cron, Location: time.UTC, Jitter: tc.jitter}
		got := JitterProblem(sc, t10)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s jitter %s: %q, want %q", tc.cron, tc.jitter, got, tc.want)
		}
	}
	h := newHarness(t, t10)
	if err := h.s.Load([]*steps.Playbook{playbook("p", "@every 1m", jitter(2*time.Minute))}); err == nil || !strings.Contains(err.Error(), "p.yaml: playbook p: schedule.jitter 2m is") {
		t.Errorf("Load = %v", err)
	}
}
