package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportShowTakesARunID: `report show` renders the report of a run the
// state recorded, given its id or the start of it as 'history' lists it,
// so that reading last night's failure as HTML or JUnit needs no path into
// the state dir; a file of that name wins, and an id no run has, or a run
// without a report, says what to do.
func TestReportShowTakesARunID(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "nightly.yaml", "version: 1\nname: nightly\nsteps:\n  - {id: backup, op: control.noop}\n")
	if res := runMain(t, "run", pb, "--state-dir", state, "--log-format", "json"); res.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	var runs []struct {
		ID string `json:"id"`
	}
	if res := runMain(t, "history", "--state-dir", state, "--json"); json.Unmarshal([]byte(res.stdout), &runs) != nil || len(runs) != 1 {
		t.Fatalf("history --json: %s%s", res.stdout, res.stderr)
	}
	id := runs[0].ID
	runMain(t, "report", "show", id, "--state-dir", state).want(t, ExitOK, []string{"nightly succeeded", "run " + id, "backup"}, nil)
	runMain(t, "report", "show", id[:len("20060102T150405-")+2], "--state-dir", state, "--format", "junit").
		want(t, ExitOK, []string{`<testsuites name="nightly" tests="1"`}, nil)
	t.Setenv("ARSENAL_STATE_DIR", state)
	runMain(t, "report", "show", id, "--format", "markdown").want(t, ExitOK, []string{"`nightly` succeeded"}, nil)

	runMain(t, "report", "show", "19990101T000000", "--state-dir", state).
		want(t, ExitUsage, nil, []string{"no file 19990101T000000, and no run of that id in --state-dir " + state + "; 'history' lists the run ids"})
	runMain(t, "report", "show", filepath.Join(dir, "gone.json")).
		want(t, ExitUsage, nil, []string{"no such file or directory; give the REPORT.json that 'run --report' wrote, or a run id that 'history' lists"})

	if err := os.Remove(filepath.Join(state, "reports", id+".json")); err != nil {
		t.Fatal(err)
	}
	runMain(t, "report", "show", id, "--state-dir", state).
		want(t, ExitUsage, nil, []string{"run " + id + " (succeeded) has no report; 'history show " + id + "' shows the steps it recorded"})

	// A file named like a run id is read as the file it is.
	if err := os.WriteFile(filepath.Join(dir, "20261205T101057"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	runMain(t, "report", "show", "20261205T101057", "--state-dir", state).want(t, ExitUsage, nil, []string{"20261205T101057: not a report: it has no report_version"})
}

// TestReportShowNotAReportSaysWhatToGive: a file that is no JSON report (a
// playbook, the JUnit XML, HTML or Markdown a run wrote, an empty file, the reports
// directory itself) is refused naming it and saying what to give instead,
// not only why the decoder stopped.
func TestReportShowNotAReportSaysWhatToGive(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "nightly.yaml", "version: 1\nname: nightly\nsteps:\n  - {id: backup, op: control.noop}\n")
	junit := filepath.Join(dir, "nightly.xml")
	empty := filepath.Join(dir, "empty.json")
	html := filepath.Join(dir, "nightly.html")
	md := filepath.Join(dir, "nightly.md")
	for path, data := range map[string]string{junit: "<?xml version=\"1.0\"?>\n<testsuites/>\n", empty: "", html: "<!DOCTYPE html>\n<html></html>\n",
		md: "### \u2705 `nightly` succeeded in 9ms\n\nrun `20261206T184658-2978d81d` \u00b7 started 2026-12-06 18:46:58 UTC\n"} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const hint = "; give the JSON report that 'run --report' wrote, or a run id that 'history' lists"
	for _, c := range []struct{ path, why string }{
		{pb, pb + ": not a report: it is a playbook (run it with 'arsenal-run run')"},
		{junit, junit + ": not a report: it is XML, as the JUnit report 'run --junit' writes"},
		{html, html + ": not a report: it is HTML, as the report 'run --html' writes"},
		{md, md + ": not a report: it is Markdown, as the summary 'run --markdown' writes"},
		{empty, empty + ": not a report: "},
		{dir, dir + " is a directory, not a regular file"},
	} {
		res := runMain(t, "report", "show", c.path)
		res.want(t, ExitUsage, nil, []string{"arsenal-run report: " + c.why, hint + "\n"})
	}
}

// TestReportShowOfAnotherVersionSaysWhichReadsIt: a report of another
// report_version, or holding a status this version does not know, is a
// report: it is refused saying to read it with the arsenal-run that wrote
// it, not called no report and answered with another file to give.
func TestReportShowOfAnotherVersionSaysWhichReadsIt(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "nightly.yaml", "version: 1\nname: nightly\nsteps:\n  - {id: backup, op: control.noop}\n")
	rep := filepath.Join(dir, "r.json")
	if res := runMain(t, "run", pb, "--state-dir", filepath.Join(dir, "state"), "--report", rep); res.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ from, to, why string }{
		"status.json":  {`"succeeded"`, `"paused"`, `status is "paused", a status it does not know`},
		"version.json": {`"report_version": "1"`, `"report_version": "9"`, `its report_version is "9", and this arsenal-run reads version 1`},
	} {
		edited := strings.Replace(string(data), c.from, c.to, 1)
		if edited == string(data) {
			t.Fatalf("%s: the report holds no %s:\n%s", name, c.from, data)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
			t.Fatal(err)
		}
		res := runMain(t, "report", "show", path)
		res.want(t, ExitUsage, nil, []string{path + ":", ": a report this arsenal-run cannot read: " + c.why, "read it with the arsenal-run that wrote it\n"})
		if strings.Contains(res.stderr, "not a report") || strings.Contains(res.stderr, "give the JSON report") {
			t.Errorf("%s: %s", name, res.stderr)
		}
	}
}

// TestReportShowFormatInAnyCase: --format takes its value in any case, as
// history --status does, and md for markdown; validate --format too.
func TestReportShowFormatInAnyCase(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "nightly.yaml", "version: 1\nname: nightly\nsteps:\n  - {id: backup, op: control.noop}\n")
	rep := filepath.Join(dir, "r.json")
	if res := runMain(t, "run", pb, "--state-dir", filepath.Join(dir, "state"), "--report", rep); res.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	runMain(t, "report", "show", rep, "--format", "TEXT").want(t, ExitOK, []string{"nightly succeeded"}, nil)
	for _, f := range []string{"md", "MD", "Markdown"} {
		runMain(t, "report", "show", rep, "--format", f).want(t, ExitOK, []string{"`nightly` succeeded"}, nil)
	}
	runMain(t, "report", "show", rep, "--format", "JUnit").want(t, ExitOK, []string{`<testsuites name="nightly"`}, nil)
	runMain(t, "validate", pb, "--format", "JSON").want(t, ExitOK, []string{`"problems"`}, nil)
}

// TestReportShowFormatXMLNamesJUnit: --format xml, what one asking for the
// JUnit XML types, is refused pointing at junit, not at html, the name
// closest in spelling.
func TestReportShowFormatXMLNamesJUnit(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "nightly.yaml", "version: 1\nname: nightly\nsteps:\n  - {id: backup, op: control.noop}\n")
	rep := filepath.Join(dir, "r.json")
	if res := runMain(t, "run", pb, "--report", rep); res.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	runMain(t, "report", "show", rep, "--format", "XML").want(t, ExitUsage,
		nil, []string{`unknown format "xml" (JUnit XML is "junit"); use one of text, markdown, junit, html, json`})
}

// TestRunIDWithLowerCaseT: a run id typed with a lower-case t between its
// date and time (20261205t221018-…), whole or its start, names the run, in
// history show and report show alike.
func TestRunIDWithLowerCaseT(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "nightly.yaml", "version: 1\nname: nightly\nsteps:\n  - {id: backup, op: control.noop}\n")
	if res := runMain(t, "run", pb, "--state-dir", state); res.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	var runs []struct {
		ID string `json:"id"`
	}
	if res := runMain(t, "history", "--state-dir", state, "--json"); json.Unmarshal([]byte(res.stdout), &runs) != nil || len(runs) != 1 {
		t.Fatalf("history --json: %s%s", res.stdout, res.stderr)
	}
	id := runs[0].ID
	typed := strings.Replace(id, "T", "t", 1)
	for _, v := range []string{typed, typed[:len("20060102t150405")]} {
		runMain(t, "history", "show", v, "--state-dir", state).want(t, ExitOK, []string{"run       " + id}, nil)
		runMain(t, "report", "show", v, "--state-dir", state).want(t, ExitOK, []string{"nightly succeeded", "run " + id}, nil)
	}
}

// TestReportShowOfAStateDir: the state dir given where the report goes
// says to give a run's id with it, and how to list them; it was called a
// directory, with the advice to give a run id and nothing of the
// --state-dir that finds it.
func TestReportShowOfAStateDir(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	runMain(t, "run", writePlaybook(t, dir, "quick.yaml", quick), "--state-dir", state).want(t, ExitOK, nil, nil)
	runMain(t, "report", "show", state).want(t, ExitUsage, nil, []string{
		"arsenal-run report: " + state + " is a state dir, not a report: give the run's id with it, 'report show RUN_ID --state-dir " + state + "' ('history --state-dir " + state + "' lists the ids)",
	})
}
