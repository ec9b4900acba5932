package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestScheduleNextFrom: --from starts the preview at a given time, so that
// a daylight-saving change can be checked before it comes; the slots are
// the scheduler's own, the skipped hour run at its end and the repeated
// one once. A date is midnight in the playbook's zone, and a slot at the
// --from time is listed.
func TestScheduleNextFrom(t *testing.T) {
	playbookDir(t, map[string]string{
		"nightly.yaml":  scheduled("nightly", "30 2 * * *"),
		"half.yaml":     scheduled("half", "*/30 * * * *"),
		"midnight.yaml": scheduled("midnight", "0 0 * * *"),
	})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"nightly.yaml", "--next", "3", "--from", "2027-03-13"}, `nightly (nightly.yaml): cron "30 2 * * *", time zone America/New_York, from 2027-03-13T00:00:00-05:00
  2027-03-13T02:30:00-05:00  2027-03-13T07:30:00Z
  2027-03-14T03:00:00-04:00  2027-03-14T07:00:00Z
  2027-03-15T02:30:00-04:00  2027-03-15T06:30:00Z
`},
		{[]string{"half.yaml", "--next", "3", "--from", "2027-03-14T01:30:00-05:00"}, `half (half.yaml): cron "*/30 * * * *", time zone America/New_York, from 2027-03-14T01:30:00-05:00
  2027-03-14T01:30:00-05:00  2027-03-14T06:30:00Z
  2027-03-14T03:00:00-04:00  2027-03-14T07:00:00Z
  2027-03-14T03:30:00-04:00  2027-03-14T07:30:00Z
`},
		// Given in UTC, shown in the playbook's zone.
		{[]string{"half.yaml", "--next", "4", "--from", "2027-11-07T05:00:00Z"}, `half (half.yaml): cron "*/30 * * * *", time zone America/New_York, from 2027-11-07T01:00:00-04:00
  2027-11-07T01:00:00-04:00  2027-11-07T05:00:00Z
  2027-11-07T01:30:00-04:00  2027-11-07T05:30:00Z
  2027-11-07T02:00:00-05:00  2027-11-07T07:00:00Z
  2027-11-07T02:30:00-05:00  2027-11-07T07:30:00Z
`},
		{[]string{"midnight.yaml", "--next", "2", "--from", "2027-01-31"}, `midnight (midnight.yaml): cron "0 0 * * *", time zone America/New_York, from 2027-01-31T00:00:00-05:00
  2027-01-31T00:00:00-05:00  2027-01-31T05:00:00Z
  2027-02-01T00:00:00-05:00  2027-02-01T05:00:00Z
`},
	} {
		r := runMain(t, append([]string{"schedule"}, c.args...)...)
		r.want(t, ExitOK, nil, nil)
		if diff := cmp.Diff(c.want, r.stdout); diff != "" {
			t.Errorf("schedule %v (-want +got):\n%s", c.args, diff)
		}
	}
	forms := "write a time with its offset, like 2027-03-14T01:00:00-05:00 or 2027-03-14T06:00:00Z, or a date, like 2027-03-14 (midnight in each playbook's time zone)"
	for _, bad := range []string{"2027-03-14 01:00", "2027-03-14T01:00", "tomorrow", ""} {
		runMain(t, "schedule", "half.yaml", "--next", "1", "--from", bad).want(t, ExitUsage, nil, []string{"--from " + `"` + bad + `"`, forms})
	}
	// A value of the right shape says what is wrong with it.
	for bad, want := range map[string]string{
		"2027-02-30":                "February 2027 has days 01 to 28, so day 30 does not exist; give a day that does, like 2027-02-28",
		"2028-02-30":                "February 2028 has days 01 to 29, so day 30 does not exist; give a day that does, like 2028-02-29",
		"2027-04-00":                "April 2027 has days 01 to 30, so day 0 does not exist; give a day that does, like 2027-04-01",
		"2027-02-29T01:00:00Z":      "like 2027-02-28T01:00:00Z",
		"2027-13-01":                "there is no month 13; the month is 01 to 12",
		"2027-03-01T25:00:00Z":      "is not a time: hour out of range; " + forms,
		"2027-03-14T01:00:00+25:00": "is not a time: time zone offset hour out of range",
		"2027-03-14T01:00:00":       "has no offset, so it could be that time in any zone; add one, like 2027-03-14T01:00:00Z for UTC or 2027-03-14T01:00:00-05:00, or give a date, like 2027-03-14",
	} {
		runMain(t, "schedule", "half.yaml", "--next", "1", "--from", bad).want(t, ExitUsage, nil, []string{"--from " + `"` + bad + `"`, want})
	}
	runMain(t, "schedule", "half.yaml", "--from", "2027-03-14").want(t, ExitUsage, nil, []string{"--from sets where the --next preview starts; give --next N as well"})
}
