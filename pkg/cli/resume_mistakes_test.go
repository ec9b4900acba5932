package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestResumeNotAReportSaysWhatItIs: a playbook or the JUnit XML a run
// wrote, given to --resume in place of the JSON report (the playbook's
// name typed twice at 3 a.m.), is named for what it is, with what to give
// instead, not with the JSON decoder's first bad character; nothing runs.
func TestResumeNotAReportSaysWhatItIs(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "restart.yaml", "# restart the worker\nversion: 1\nname: restart\nsteps:\n  - {id: go, op: control.noop}\n")
	junit := filepath.Join(dir, "run.xml")
	if err := os.WriteFile(junit, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n<testsuites name=\"restart\"></testsuites>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	give := "give the JSON report of a run: the file its --report wrote, or its run id with the --state-dir that recorded it"
	runMain(t, "run", pb, "--resume", pb).
		want(t, ExitUsage, nil, []string{"--resume: " + pb + ": not a report: it is a playbook; " + give})
	runMain(t, "run", pb, "--resume", junit, "--state-dir", filepath.Join(dir, "state")).
		want(t, ExitUsage, nil, []string{"--resume: " + junit + ": not a report: it is XML, as the JUnit report 'run --junit' writes; " + give})
}

// TestResumeOfAnotherPlaybookSaysWhatToGive: a run id of another
// playbook's run given to --resume (or the wrong playbook given with the
// right id) names that run's playbook file and how to list this one's
// runs, for --resume and for --from with --resume alike.
func TestResumeOfAnotherPlaybookSaysWhatToGive(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	drain := writePlaybook(t, dir, "drain.yaml", "version: 1\nname: drain\nsteps:\n  - {id: check, op: control.assert, with: {that: false}}\n")
	hello := writePlaybook(t, dir, "hello.yaml", "version: 1\nname: hello\nsteps:\n  - {id: greet, op: control.noop}\n")
	report := filepath.Join(dir, "drain.json")
	runMain(t, "run", drain, "--state-dir", state, "--report", report).want(t, ExitFailed, nil, nil)
	id := readReport(t, report).RunID
	want := "run " + id + ` is of playbook "drain" (` + drain + `), not "hello": run that playbook to resume it, or give a run of "hello" ('arsenal-run history --playbook hello' lists them)`
	runMain(t, "run", hello, "--state-dir", state, "--resume", id).want(t, ExitUsage, nil, []string{want})
	runMain(t, "run", hello, "--resume", report, "--from", "greet").want(t, ExitUsage, nil, []string{want})
}
