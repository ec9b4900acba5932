package steps

import (
	"slices"
	"strings"
	"testing"
)

// TestMisspeltTimeZoneIsSuggested: a time zone with a typo gets the name
// it most likely meant, from the system's zone database.
func TestMisspeltTimeZoneIsSuggested(t *testing.T) {
	if !slices.Contains(zoneNames(), "America/New_York") {
		t.Skip("no zone database to list here")
	}
	for typo, want := range map[string]string{
		"America/NewYork": "America/New_York",
		"Europe/Berln":    "Europe/Berlin",
		"asia/tokyo":      "Asia/Tokyo",
	} {
		_, err := Parse("p.yaml", []byte("version: 1\nname: p\nschedule: {cron: \"@hourly\", timezone: "+typo+"}\nsteps:\n  - {id: a, op: control.noop}\n"), testRegistry(t))
		if err == nil || !strings.Contains(err.Error(), `(did you mean "`+want+`"?)`) {
			t.Errorf("timezone %s: %v; want it to suggest %s", typo, err, want)
		}
	}
	for _, name := range zoneNames() {
		if strings.HasPrefix(name, "right/") || strings.HasPrefix(name, "posix/") || !tzRE.MatchString(name) {
			t.Errorf("zone name %q listed", name)
		}
	}
}

// TestEmptyTimeZoneSaysRemoveIt: timezone: "" (a value that went missing)
// is refused at its position, saying that leaving the key out gives UTC.
func TestEmptyTimeZoneSaysRemoveIt(t *testing.T) {
	for _, v := range []string{`""`, `" "`, "''"} {
		_, err := Parse("p.yaml", []byte("version: 1\nname: p\nschedule: {cron: \"@hourly\", timezone: "+v+"}\nsteps:\n  - {id: a, op: control.noop}\n"), testRegistry(t))
		want := `p.yaml:3:39: schedule.timezone is empty; remove the key for UTC (the default), or write an IANA name like Europe/Berlin`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("timezone: %s: %v\nwant %s", v, err, want)
		}
	}
}
