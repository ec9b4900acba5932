package cli

import (
	"strings"
	"testing"
)

// TestScheduleInputsFromFiles: a required input with from_file (a secret
// mounted as a file) can be scheduled when the file is there, as its runs
// read it; when it is not, the problem says to create it; and a value
// that does not fit is reported. Before, every required input without a
// default or a set env: variable was refused.
func TestScheduleInputsFromFiles(t *testing.T) {
	playbookDir(t, map[string]string{
		"jobs/secrets/token": "t1\n",
		"jobs/secrets/port":  "eighty\n",
		"jobs/a.yaml": `version: 1
name: a
schedule: {cron: "@hourly"}
inputs:
  token: {type: string, secret: true, required: true, env: ARSENAL_TEST_TOKEN, from_file: secrets/token}
steps:
  - {id: a, op: control.noop}
`,
		"jobs/b.yaml": `version: 1
name: b
schedule: {cron: "@hourly"}
inputs:
  key: {type: string, required: true, from_file: secrets/missing}
steps:
  - {id: a, op: control.noop}
`,
		"jobs/c.yaml": `version: 1
name: c
schedule: {cron: "@hourly"}
inputs:
  port: {type: integer, required: true, from_file: secrets/port}
steps:
  - {id: a, op: control.noop}
`,
	})
	got := scheduleProblems(t, "jobs")
	if strings.Contains(got, "token") {
		t.Errorf("an input its from_file gives was refused:\n%s", got)
	}
	if !strings.Contains(got, "jobs/b.yaml:5:3: input key is required and secrets/missing does not exist; scheduled runs are given no inputs: create secrets/missing") {
		t.Errorf("a missing from_file was not reported as such:\n%s", got)
	}
	if !strings.Contains(got, "jobs/c.yaml:5:3: input port (from_file secrets/port): want an integer") {
		t.Errorf("a from_file value that does not fit was not reported:\n%s", got)
	}
}

// scheduleProblems checks the schedules of paths as `schedule` does at
// start, for the role operator and with an empty environment, and returns
// its problems, a line each.
func scheduleProblems(t *testing.T, paths ...string) string {
	t.Helper()
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	set := checkSchedule(reg, paths, "", []string{"operator"}, "", func(string) (string, bool) { return "", false }, nil)
	return strings.Join(set.problems, "\n")
}

// TestScheduleWarnsOfConfirmSteps: a confirm: step of a scheduled
// playbook, which every scheduled run that reaches it denies, is warned
// of at start, located, rather than found in a failed run at night.
func TestScheduleWarnsOfConfirmSteps(t *testing.T) {
	playbookDir(t, map[string]string{
		"jobs/a.yaml": `version: 1
name: a
schedule: {cron: "@hourly"}
steps:
  - {id: plain, op: control.noop}
  - id: ask
    op: control.noop
    confirm: really?
finally:
  - {id: maybe, op: control.noop, when: "false", confirm: "sure"}
`,
	})
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	set := checkSchedule(reg, []string{"jobs"}, "", []string{"operator"}, "", func(string) (string, bool) { return "", false }, nil)
	got := strings.Join(set.warnings, "\n")
	for _, want := range []string{
		"jobs/a.yaml:8:14: warning: step ask asks confirm:, which every scheduled run denies: a scheduled run has nobody to ask",
		"jobs/a.yaml:10:59: warning: step maybe asks confirm:, which every scheduled run whose when: holds denies",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "step plain") || len(set.problems) != 0 {
		t.Errorf("warnings %s, problems %v", got, set.problems)
	}
}
