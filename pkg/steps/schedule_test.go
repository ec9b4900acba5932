package steps

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestCronDayOfWeekSeven checks that 7 in the day-of-week field, which
// some crons read as Sunday, is refused with a message that names the
// field and the fix, wherever it stands in the field, and that the days
// of the week robfig/cron takes still load.
func TestCronDayOfWeekSeven(t *testing.T) {
	reg := testRegistry(t)
	const fix = `: day of week 7 is out of range; write 0 or SUN for Sunday (days of week are 0–6 or SUN–SAT)`
	for _, tc := range []struct {
		cron string
		want string // the whole error; "" = the playbook loads
	}{
		{"0 3 * * 7", `s.yaml:4:9: cron "0 3 * * 7"` + fix},
		{"0 3 * * 5-7", `s.yaml:4:9: cron "0 3 * * 5-7"` + fix},
		{"0 3 * * 1,7", `s.yaml:4:9: cron "0 3 * * 1,7"` + fix},
		{"0 3 * * 7,1", `s.yaml:4:9: cron "0 3 * * 7,1"` + fix},
		{"0 3 * * 7/2", `s.yaml:4:9: cron "0 3 * * 7/2"` + fix},
		{"0 3 * * SAT-7", `s.yaml:4:9: cron "0 3 * * SAT-7"` + fix},
		{"0 0 3 * * 7", `s.yaml:4:9: cron "0 0 3 * * 7"` + fix}, // with seconds
		// Other mistakes name the field the parser refuses, in words.
		{"0 3 * * 8", `s.yaml:4:9: cron "0 3 * * 8": the day of week field "8": 8 is above 6; days of week are 0–6 or SUN–SAT`},
		{"0 3 7 * 9", `s.yaml:4:9: cron "0 3 7 * 9": the day of week field "9": 9 is above 6; days of week are 0–6 or SUN–SAT`},
		{"0 25 * * *", `s.yaml:4:9: cron "0 25 * * *": the hour field "25": 25 is above 23; hours are 0–23`},
		{"0 0 25 * * *", `s.yaml:4:9: cron "0 0 25 * * *": the hour field "25": 25 is above 23; hours are 0–23`},
		{"0 2 * * MON-FRY", `s.yaml:4:9: cron "0 2 * * MON-FRY": the day of week field "MON-FRY": "FRY" is neither a number nor a name (did you mean "FRI"?); days of week are 0–6 or SUN–SAT`},
		{"0 2 * 1,13 *", `s.yaml:4:9: cron "0 2 * 1,13 *": the month field "1,13": 13 is above 12; months are 1–12 or JAN–DEC`},
		// The same text in two fields: the one refused.
		{"9 9 * * 9", `s.yaml:4:9: cron "9 9 * * 9": the day of week field "9": 9 is above 6; days of week are 0–6 or SUN–SAT`},
		{"0 0 0 * *", `s.yaml:4:9: cron "0 0 0 * *": the day of month field "0": 0 is below 1; days of month are 1–31`},
		// 7 elsewhere, or as a step, is fine.
		{"0 3 * * 0", ""},
		{"0 3 * * SUN", ""},
		{"0 3 * * 5-6", ""},
		{"0 3 * * 1,6", ""},
		{"0 3 * * */7", ""},
		{"7 7 7 7 *", ""},
	} {
		t.Run(tc.cron, func(t *testing.T) {
			src := "version: 1\nname: s\nschedule:\n  cron: \"" + tc.cron + "\"\nsteps:\n  - {id: a, op: control.noop}\n"
			_, err := Parse("s.yaml", []byte(src), reg)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("load error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseCronDayOfWeekSeven checks the message ParseCron gives the
// scheduler for the same spec.
func TestParseCronDayOfWeekSeven(t *testing.T) {
	_, problem := ParseCron("0 3 * * 7", time.UTC, time.Now())
	if !strings.HasPrefix(problem, `cron "0 3 * * 7": day of week 7 is out of range; write 0 or SUN for Sunday`) {
		t.Errorf("problem = %q", problem)
	}
}

// TestParseCronDays: a day is not a unit of a Go duration, so @every 1d
// is refused with the hours to write instead; a spec that never fires is
// quoted like the other cron messages; each says what to write instead.
func TestParseCronDays(t *testing.T) {
	for spec, want := range map[string]string{
		"@every 1d":   "@every 1d: days and weeks are no unit of a duration; write @every 24h",
		"@every 7d":   "@every 7d: days and weeks are no unit of a duration; write @every 168h",
		"@every 1w":   "@every 1w: days and weeks are no unit of a duration; write @every 168h",
		"@every soon": "@every needs a duration, like @every 5m",
		// Too large for a Go duration (about 292 years): too long, not
		// malformed.
		"@every 1000000000h":  "@every 1000000000h is more than five years (43800h), so its first slot would be years away; write a cron spec for a date, like 0 3 1 1 * for every 1 January",
		"@every -1000000000h": "@every -1000000000h is below the minimum of 1s; write @every 1s or a longer interval, like @every 5m",
		"@every 500ms":        "@every 500ms is below the minimum of 1s; write @every 1s or a longer interval, like @every 5m",
		"0 0 30 2 *": `cron "0 0 30 2 *" never fires (no matching date in the next five years, like 30 February); ` +
			`make its day-of-month and month fields meet on a real date (0 0 28 2 * for 28 February), or remove the schedule: block`,
		"@every 1h30m": "",
	} {
		if _, problem := ParseCron(spec, time.UTC, time.Now()); problem != want {
			t.Errorf("%s: %q, want %q", spec, problem, want)
		}
	}
}

// TestScheduleAsACronString: schedule: "0 3 * * *", the form other
// runners take, is told the mapping to write, once.
func TestScheduleAsACronString(t *testing.T) {
	src := "version: 1\nname: s\nschedule: \"0 3 * * *\"\nsteps:\n  - {id: a, op: control.noop}\n"
	_, err := Parse("s.yaml", []byte(src), testRegistry(t))
	want := `s.yaml:3:11: schedule is a mapping, not a cron spec alone; write it as schedule: {cron: "0 3 * * *"}`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestScheduleEveryWithoutAt: "every 5m", as people say it, is pointed
// to @every 5m, in a cron spec and in the bare form other runners take;
// the fix offered for the bare form is one that loads.
func TestScheduleEveryWithoutAt(t *testing.T) {
	step := "steps:\n  - id: a\n    op: control.noop\n"
	for src, want := range map[string]string{
		`schedule: {cron: "every 5m"}`: `(did you mean "@every 5m"?)`,
		`schedule: "every 5m"`:         `write it as schedule: {cron: "@every 5m"}`,
	} {
		got := diagMsgs(t, hostileHead+src+"\n"+step, testRegistry(t))
		if len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("%s: got %q, want %q", src, got, want)
		}
	}
}

// TestJitterProblemAcrossFallBack: the gap a jitter is held to is between
// the fire times the scheduler uses, where a wall-clock time the clock
// passes twice fires once. A daily spec in the weeks before clocks go back
// is a day apart, not the hour of its two readings; a spec whose slots do
// come closer across the change is held to that.
func TestJitterProblemAcrossFallBack(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	sept := time.Date(2026, 9, 15, 12, 0, 0, 0, time.UTC) // fall-back 2026-10-25 (EU), 2026-11-01 (US)
	for _, tc := range []struct {
		cron   string
		loc    *time.Location
		jitter time.Duration
		want   string // part of the problem; "" for none
	}{
		{"30 2 * * *", berlin, 2 * time.Hour, ""},
		{"0 2 * * *", berlin, 20 * time.Hour, ""},
		{"30 1 * * *", ny, 2 * time.Hour, ""},
		// Clocks go forward: 02:30 fires at 03:00, 23h30m before the
		// next day's 02:30 (spring 2027 is within 64 days of January).
		{"30 2 * * *", berlin, 23*time.Hour + 45*time.Minute, "the 23h30m between fire times"},
	} {
		now := sept
		if tc.want != "" {
			now = time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
		}
		sc := &Schedule{Cron: tc.cron, Location: tc.loc, Jitter: tc.jitter}
		got := JitterProblem(sc, now)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s in %s, jitter %s: %q, want %q", tc.cron, tc.loc, tc.jitter, got, tc.want)
		}
	}
}

// TestCronTimeZonePrefix: a TZ= or CRON_TZ= prefix, which robfig/cron
// would read, is refused with the two keys to write instead.
func TestCronTimeZonePrefix(t *testing.T) {
	for spec, want := range map[string]string{
		"CRON_TZ=Europe/Berlin 30 2 * * *": `set the time zone with schedule.timezone, not a TZ= prefix in cron: write timezone: Europe/Berlin and cron: "30 2 * * *"`,
		"TZ=America/New_York  @daily":      `set the time zone with schedule.timezone, not a TZ= prefix in cron: write timezone: America/New_York and cron: "@daily"`,
		"TZ=UTC":                           `set the time zone with schedule.timezone, not a TZ= prefix in cron`,
		// A zone that timezone refuses is not suggested for it, and an
		// Etc/GMT zone's sign is explained as timezone explains it.
		"TZ=UTC+2 0 3 * * *":          `set the time zone with schedule.timezone, not a TZ= prefix in cron: write cron: "0 3 * * *" and a timezone; "UTC+2" is no time zone; for a fixed UTC+2 write Etc/GMT-2 (its sign is the other way round, as POSIX has it), or better a place, like Europe/Berlin, to follow its daylight saving`,
		"CRON_TZ=Etc/GMT+2 0 3 * * *": `set the time zone with schedule.timezone, not a TZ= prefix in cron: write timezone: Etc/GMT+2 and cron: "0 3 * * *"; mind the sign: Etc/GMT+2 is UTC-2, 2 hours behind UTC: POSIX signs these zones the other way round; if you meant 2 hours ahead of UTC, write Etc/GMT-2, or better a place, like Europe/Berlin, to follow its daylight saving`,
	} {
		if _, got := ParseCron(spec, time.UTC, time.Now()); got != want {
			t.Errorf("%q:\n got %q\nwant %q", spec, got, want)
		}
	}
}

// TestCronQuestionMark: ? is any day in the day fields, as in Quartz, and
// is refused elsewhere, where robfig/cron would read it as * and fire
// every minute or every hour.
func TestCronQuestionMark(t *testing.T) {
	for spec, want := range map[string]string{
		"0 3 ? * MON":   "",
		"0 0 3 15 * ?":  "",
		"? 3 * * *":     `cron "? 3 * * *": the minute field "?": ? means any day, and is taken only in the day-of-month and day-of-week fields; here it would mean every minute, like *: write * if that is meant, or the minute to fire at (0–59)`,
		"0 ?/2 * * *":   `cron "0 ?/2 * * *": the hour field "?/2": ? means any day`,
		"0 0 3 * ? MON": `cron "0 0 3 * ? MON": the month field "?": ? means any day`,
	} {
		_, got := ParseCron(spec, time.UTC, time.Now())
		if want == "" && got != "" || !strings.HasPrefix(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", spec, got, want)
		}
	}
}

// TestJitterProblemShowsDurationsAsWritten: the jitter message writes its
// durations as a user writes them, 48h and 24h, not 48h0m0s and 24h0m0s,
// and so does the @every fraction message.
func TestJitterProblemShowsDurationsAsWritten(t *testing.T) {
	_, err := Parse("p.yaml", []byte("version: 1\nname: p\nschedule:\n  cron: \"0 3 * * *\"\n  jitter: 48h\nsteps:\n  - {id: a, op: control.noop}\n"), testRegistry(t))
	want := `p.yaml:5:11: schedule.jitter 48h is not shorter than the 24h between fire times of cron "0 3 * * *": a run would start after the next slot, which is then missed; make jitter shorter than 24h, or remove it`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("diagnostics:\n%v\nwant:\n%s", err, want)
	}
	if _, problem := ParseCron("@every 1h0.5s", time.UTC, time.Now()); !strings.Contains(problem, "write it as @every 1h or @every 1h1s") {
		t.Errorf("@every 1h0.5s: %q", problem)
	}
	for d, want := range map[time.Duration]string{
		48 * time.Hour: "48h", 90 * time.Second: "1m30s", time.Hour + 30*time.Second: "1h30s",
		time.Hour + 10*time.Minute: "1h10m", 1500 * time.Millisecond: "1.5s", 0: "0s", 10 * time.Minute: "10m",
	} {
		if got := ShortDuration(d); got != want {
			t.Errorf("ShortDuration(%d) = %q, want %q", d, got, want)
		}
	}
}

// TestCronWords: every cron spec robfig/cron refuses is explained in a
// user's words, not the parser's, with what to write instead.
func TestCronWords(t *testing.T) {
	for spec, want := range map[string]string{
		"*/15 * * *":    `cron "*/15 * * *" has 4 fields (did you mean "*/15 * * * *"?); write 5 (minute hour day-of-month month day-of-week), like "*/15 * * * *", or 6 with seconds first`,
		"* * * * * * *": `cron "* * * * * * *" has 7 fields; write 5 (minute hour day-of-month month day-of-week), like "*/15 * * * *", or 6 with seconds first (a 7th field, the year some crons take, is not one of them)`,
		"every 5m":      `cron "every 5m" has 2 fields (did you mean "@every 5m"?); write 5 (minute hour day-of-month month day-of-week), like "*/15 * * * *", or 6 with seconds first`,
		"@evry 5m":      `cron "@evry 5m": unknown descriptor @evry (did you mean "@every 5m"?); write one of @hourly, @daily, @weekly, @monthly, @yearly, or @every with a duration, like @every 5m`,
		"@Daily":        `cron "@Daily": unknown descriptor @Daily (did you mean "@daily"?); write one of @hourly, @daily, @weekly, @monthly, @yearly, or @every with a duration, like @every 5m`,
		"@daily 3":      `cron "@daily 3": @daily takes nothing after it; write "@daily" alone, or 5 fields for a time, like "0 3 * * *" for 03:00 every day`,
		"*/0 * * * *":   `cron "*/0 * * * *": the minute field "*/0": the step after / must be 1 or more, like */5`,
		"0 22-2 * * *":  `cron "0 22-2 * * *": the hour field "22-2": the range 22-2 runs backwards; write it low to high, or as two ranges across the end, like 22-23,0-2`,
		"0 3 * jann *":  `cron "0 3 * jann *": the month field "jann": "jann" is neither a number nor a name (did you mean "JAN"?); months are 1–12 or JAN–DEC`,
		"0 3 L * *":     `cron "0 3 L * *": the day of month field "L": "L" (the last day, as Quartz writes it) is not taken; days of month are 1–31`,
		"0 3 1/2/3 * *": `cron "0 3 1/2/3 * *": the day of month field "1/2/3": a step has one slash, like */15 or 0-30/10`,
	} {
		if _, got := ParseCron(spec, time.UTC, time.Now()); got != want {
			t.Errorf("ParseCron(%q):\n got %s\nwant %s", spec, got, want)
		}
	}
}
