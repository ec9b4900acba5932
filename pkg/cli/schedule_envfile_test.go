package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScheduleInputsFromEnvFiles checks a scheduled playbook's inputs
// against the variables of its env files, as its runs will read them: a
// required input whose env: variable an env file sets passes, and a value
// from an env file must fit its input. Before, the check saw only the
// scheduler's own environment, and refused to schedule the first.
func TestScheduleInputsFromEnvFiles(t *testing.T) {
	playbookDir(t, map[string]string{
		"jobs/.env": "ARSENAL_TEST_FILE_TOKEN=t1\nARSENAL_TEST_FILE_PORT=eighty\n",
		"jobs/a.yaml": `version: 1
name: a
env_file: .env
schedule: {cron: "@hourly"}
inputs:
  token: {type: string, secret: true, required: true, env: ARSENAL_TEST_FILE_TOKEN}
steps:
  - {id: a, op: control.noop}
`,
		"jobs/b.yaml": `version: 1
name: b
env_file: .env
schedule: {cron: "@hourly"}
inputs:
  port: {type: integer, default: 80, env: ARSENAL_TEST_FILE_PORT}
steps:
  - {id: a, op: control.noop}
`,
	})
	got := scheduleProblems(t, "jobs")
	if strings.Contains(got, "token") {
		t.Errorf("an input an env file sets was refused:\n%s", got)
	}
	if !strings.Contains(got, `jobs/b.yaml:6:3: input port (from $ARSENAL_TEST_FILE_PORT, set by env_file .env:2): want an integer, got "eighty"`) {
		t.Errorf("a value from an env file that does not fit was not reported:\n%s", got)
	}
}

// TestServeSchedulesInputsFromEnvFiles: serve's check of its scheduled
// playbooks' inputs sees their env files too. A variable an env file sets
// reaches the runs whatever --env-passthrough says, so neither a required
// input it sets nor one serve's own environment also has is a reason to
// refuse to start.
func TestServeSchedulesInputsFromEnvFiles(t *testing.T) {
	f := newServeFixture(t)
	books := filepath.Join(f.dir, "sched-books")
	if err := os.Mkdir(books, 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, books, ".env", "ARSENAL_TEST_ENVF_MUST=yes\nARSENAL_TEST_ENVF_LEVEL=high\n")
	writePlaybook(t, books, "lvl.yaml", "version: 1\nname: lvl\nenv_file: .env\nschedule: {cron: \"@hourly\"}\ninputs:\n"+
		"  level: {type: string, default: low, env: ARSENAL_TEST_ENVF_LEVEL}\n  must: {type: string, required: true, env: ARSENAL_TEST_ENVF_MUST}\n"+
		"steps:\n  - {id: a, op: control.noop}\n")
	t.Setenv("ARSENAL_TEST_ENVF_LEVEL", "from-serve")
	if _, addr := f.serve(t, "--playbooks", books); addr == "" {
		t.Error("serve did not start")
	}
}
