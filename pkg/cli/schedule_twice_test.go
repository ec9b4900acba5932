package cli

import "testing"

// TestScheduleAFileReachedTwiceIsOnePlaybook: a playbook given both
// through its directory and by itself (schedule jobs jobs/a.yaml), or a
// directory given twice (jobs and jobs/), is the same file, scheduled
// once: not a playbook whose name "is also used by" itself, to rename.
func TestScheduleAFileReachedTwiceIsOnePlaybook(t *testing.T) {
	playbookDir(t, map[string]string{
		"jobs/a.yaml": "version: 1\nname: a\nschedule: {cron: \"@hourly\"}\nsteps:\n  - {id: a, op: control.noop}\n",
		"jobs/b.yaml": "version: 1\nname: b\nschedule: {cron: \"@hourly\"}\nsteps:\n  - {id: a, op: control.noop}\n",
	})
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	for _, paths := range [][]string{{"jobs", "jobs/a.yaml"}, {"jobs/a.yaml", "./jobs/a.yaml", "jobs"}, {"jobs", "jobs/"}} {
		set := checkSchedule(reg, paths, "", []string{"operator"}, "", func(string) (string, bool) { return "", false }, nil)
		if len(set.problems) != 0 || len(set.pbs) != 2 {
			t.Errorf("schedule %v: %d playbooks, problems %q; want a and b once each, no problem", paths, len(set.pbs), set.problems)
		}
	}
}
