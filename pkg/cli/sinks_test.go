package cli

import (
	"encoding/json"
	"encoding/xml"
	"html"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

const quick = "version: 1\nname: quick\nsteps:\n  - {id: a, op: control.noop}\n"

func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return path
}

// runWithin runs the command in-process and fails the test if it does not
// return in a generous time: none of these cases may block.
func runWithin(t *testing.T, args ...string) result {
	t.Helper()
	done := make(chan result, 1)
	go func() { done <- runMain(t, args...) }()
	select {
	case res := <-done:
		return res
	case <-time.After(30 * time.Second):
		t.Fatalf("%v blocked", args)
	}
	return result{}
}

// TestSinksAreCheckedBeforeTheRun: a report path that is not a regular
// file, that is a file the run reads, or whose directory cannot be made or
// written is refused with exit 2 before anything runs, and nothing at the
// path is touched.
func TestSinksAreCheckedBeforeTheRun(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran.txt")
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: marked\nsteps:\n  - {id: w, op: file.write, with: {path: "+marker+", content: x}}\n")
	pbData := mustRead(t, pb)
	inputs := writePlaybook(t, dir, "inputs.yaml", "{}\n")
	policy := writePlaybook(t, dir, "policy.yaml", "version: 1\nroles:\n  operator: {allow: ['*']}\n")
	fifo := mkfifo(t, filepath.Join(dir, "fifo"))
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(filepath.Join(dir, "elsewhere.json"), link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.yaml")
	if err := os.Link(pb, hard); err != nil {
		t.Fatal(err)
	}
	notDir := writePlaybook(t, dir, "file", "x")
	roDir := filepath.Join(dir, "ro")
	os.Mkdir(roDir, 0o755)
	state := filepath.Join(dir, "state")
	runMain(t, "run", writePlaybook(t, dir, "q.yaml", quick), "--state-dir", state).want(t, ExitOK, nil, nil)

	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"a FIFO", []string{"--junit", fifo}, "--junit " + fifo + ": exists and is a named pipe (FIFO), not a regular file"},
		{"a directory", []string{"--html", dir}, "exists and is a directory, not a regular file"},
		{"a symlink", []string{"--markdown", link}, "exists and is a symbolic link, not a regular file"},
		{"the playbook", []string{"--report", pb}, "is the playbook (" + pb + "); the run would replace it"},
		{"the playbook by another name", []string{"--report", hard}, "is the playbook"},
		{"the inputs file", []string{"--inputs", inputs, "--junit", inputs}, "is the --inputs file"},
		{"the policy", []string{"--policy", policy, "--markdown", policy}, "is the policy"},
		{"the history database", []string{"--state-dir", state, "--report", filepath.Join(state, "history.db")}, "is the history database"},
		{"two sinks on one file", []string{"--report", filepath.Join(dir, "same"), "--junit", filepath.Join(dir, ".", "same")}, "is also where --report goes"},
		{"a parent that is a file", []string{"--report", filepath.Join(notDir, "r.json")}, "cannot create its directory"},
		{"a path ending in a separator", []string{"--report", filepath.Join(dir, "newdir") + "/"}, "--report " + filepath.Join(dir, "newdir") + "/: names a directory, not a file; give the path of a file in it, like " + filepath.Join(dir, "newdir", "report.json")},
		{"a path ending in dot", []string{"--junit", filepath.Join(dir, "newdir2") + "/."}, "names a directory, not a file"},
		{"a state dir that is a file", []string{"--state-dir", notDir}, "--state-dir " + notDir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runWithin(t, append([]string{"run", pb}, tc.args...)...)
			res.want(t, ExitUsage, nil, []string{tc.stderr, "nothing ran"})
			if _, err := os.Stat(marker); err == nil {
				t.Error("the playbook ran")
				os.Remove(marker)
			}
		})
	}
	for _, d := range []string{"newdir", "newdir2"} {
		if _, err := os.Stat(filepath.Join(dir, d)); err == nil {
			t.Errorf("%s was created for a refused path", d)
		}
	}
	if got := mustRead(t, pb); string(got) != string(pbData) {
		t.Error("the playbook was changed")
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v", err)
	}

	// A copy of /dev/null where replacing it would do no harm (creating a
	// device needs root, which is when replacing /dev/null itself hurts).
	devNull := filepath.Join(dir, "null")
	if err := syscall.Mknod(devNull, syscall.S_IFCHR|0o666, 1<<8|3); err == nil {
		runWithin(t, "run", pb, "--junit", devNull).want(t, ExitUsage, nil, []string{"--junit " + devNull + ": exists and is a character device, not a regular file"})
		if fi, err := os.Lstat(devNull); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Errorf("the device was replaced: %v", err)
		}
	}

	// A read-only directory, for a user the permissions apply to.
	if os.Geteuid() != 0 {
		os.Chmod(roDir, 0o555)
		defer os.Chmod(roDir, 0o755)
		runWithin(t, "run", pb, "--report", filepath.Join(roDir, "r.json")).want(t, ExitUsage, nil, []string{"cannot write in " + roDir})
	}
}

// TestSinkDirectoriesAreCreated: missing parent directories of a report
// are created (--report nodir/r.json used to fail after the run, with exit
// 0).
func TestSinkDirectoriesAreCreated(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "q.yaml", quick)
	rep := filepath.Join(dir, "new", "deeper", "r.json")
	junit := filepath.Join(dir, "other", "r.xml")
	runMain(t, "run", pb, "--report", rep, "--junit", junit).want(t, ExitOK, nil, nil)
	readReport(t, rep)
	if _, err := os.Stat(junit); err != nil {
		t.Error(err)
	}
}

// TestSinkThatFailsAtTheEndFailsTheRun: when a report cannot be written
// after all (here its directory is replaced by a file while the run goes
// on, as a full disk would fail it), the run exits 1 and says which.
func TestSinkThatFailsAtTheEndFailsTheRun(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "pb.yaml", `version: 1
name: sabotage
steps:
  - id: swap
    op: shell.exec
    with: {command: [sh, -c, 'rm -rf "$0" && echo x > "$0"', `+out+`]}
`)
	junit := filepath.Join(dir, "ok.xml")
	res := runMain(t, "run", pb, "--role", "admin", "--report", filepath.Join(out, "r.json"), "--junit", junit, "--state-dir", state)
	res.want(t, ExitFailed, []string{"sabotage succeeded"}, []string{"--report: write " + filepath.Join(out, "r.json"), "the run ended succeeded, but 1 record of it could not be written"})
	if _, err := os.Stat(junit); err != nil {
		t.Errorf("the other sinks were not written: %v", err)
	}
	// The history points only at a report that exists.
	hist := runMain(t, "history", "--state-dir", state, "--json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(hist.stdout), &runs); err != nil || len(runs) != 1 {
		t.Fatalf("history: %v\n%s", err, hist.stdout)
	}
	if p, _ := runs[0]["report_path"].(string); p == "" {
		t.Error("the history lost the state dir's report, which was written")
	} else if _, err := os.Stat(p); err != nil {
		t.Errorf("the history points at a missing report: %v", err)
	}
}

// TestJobSummaryFIFODoesNotBlock: $GITHUB_STEP_SUMMARY naming a FIFO that
// nobody reads is refused before the run instead of blocking its end.
func TestJobSummaryFIFODoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "q.yaml", quick)
	t.Setenv("GITHUB_STEP_SUMMARY", mkfifo(t, filepath.Join(dir, "summary")))
	runWithin(t, "run", pb).want(t, ExitUsage, nil, []string{"$GITHUB_STEP_SUMMARY", "is a named pipe (FIFO), not a regular file"})
	summary := filepath.Join(dir, "sub", "summary.md")
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	runWithin(t, "run", pb).want(t, ExitOK, nil, nil)
	if !strings.Contains(string(mustRead(t, summary)), "quick") {
		t.Error("the job summary was not appended")
	}
}

// TestReadsAreBounded: the playbook, --inputs, --policy, --resume and
// report show read only regular files, with a size limit; a FIFO or
// /dev/zero is refused at once with a clear error, exit 2.
func TestReadsAreBounded(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "q.yaml", quick)
	fifo := mkfifo(t, filepath.Join(dir, "fifo"))
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, maxInputsFile+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"run", fifo}, "is a named pipe (FIFO), not a regular file"},
		{[]string{"run", "/dev/zero"}, "is a character device, not a regular file"},
		{[]string{"run", pb, "--inputs", fifo}, "--inputs: " + fifo + " is a named pipe (FIFO), not a regular file"},
		{[]string{"run", pb, "--inputs", "/dev/zero"}, "is a character device, not a regular file"},
		{[]string{"run", pb, "--inputs", big}, "--inputs: " + big + " is 1.0 MiB (1048577 bytes), over the limit of 1 MiB"},
		// It blocked for ever, waiting for a writer.
		{[]string{"run", pb, "--inventory", fifo}, fifo + ": cannot read the inventory: it is a named pipe (FIFO), not a regular file"},
		{[]string{"validate", pb, "--inventory", fifo}, fifo + ": cannot read the inventory: it is a named pipe (FIFO), not a regular file"},
		{[]string{"run", pb, "--policy", fifo}, "is a named pipe (FIFO), not a regular file"},
		{[]string{"run", pb, "--policy", "/dev/zero"}, "is a character device, not a regular file"},
		{[]string{"run", pb, "--resume", fifo}, "is a named pipe (FIFO), not a regular file"},
		{[]string{"run", pb, "--resume", "/dev/zero"}, "is a character device, not a regular file"},
		{[]string{"report", "show", fifo}, "is a named pipe (FIFO), not a regular file"},
		{[]string{"report", "show", "/dev/zero"}, "is a character device, not a regular file"},
		// Another FIFO: the one given to --policy above is protected for
		// the rest of this process, as a policy file is.
		{[]string{"validate", mkfifo(t, filepath.Join(dir, "fifo2"))}, "is a named pipe (FIFO), not a regular file"},
	} {
		runWithin(t, tc.args...).want(t, ExitUsage, nil, []string{tc.stderr})
	}
}

// TestNonFiniteNumbersInEverySink: a run whose values hold +Inf, -Inf and
// NaN (1/0 in an expression, .inf in YAML) writes every report: valid JSON
// with the values as strings, JUnit XML that parses, Markdown, HTML, the
// text summary and the history.
func TestNonFiniteNumbersInEverySink(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "inf.yaml", `version: 1
name: infinite
steps:
  - {id: calc, op: control.set, with: {ratio: "${{ 1/0 }}", low: "${{ -1/0 }}", nan: "${{ 0/0 }}", yaml: .inf, list: ["${{ 1/0 }}", 1]}}
  - {id: fan, op: control.set, foreach: "${{ [1/0, 0/0] }}", with: {value: "${{ item }}"}}
outputs:
  ratio: "${{ 1/0 }}"
  both: "${{ [1/0, -1/0, 0/0] }}"
`)
	out := filepath.Join(dir, "out")
	state := filepath.Join(dir, "state")
	summary := filepath.Join(dir, "summary.md")
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	paths := map[string]string{"json": filepath.Join(out, "r.json"), "junit": filepath.Join(out, "r.xml"), "markdown": filepath.Join(out, "r.md"), "html": filepath.Join(out, "r.html")}
	res := runMain(t, "run", pb, "--report", paths["json"], "--junit", paths["junit"], "--markdown", paths["markdown"], "--html", paths["html"], "--state-dir", state)
	res.want(t, ExitOK, []string{"ratio: +Inf", `both: ["+Inf","-Inf","NaN"]`}, nil)

	for _, p := range []string{paths["json"]} {
		data := mustRead(t, p)
		if !json.Valid(data) {
			t.Fatalf("%s is not valid JSON", p)
		}
	}
	r := readReport(t, paths["json"])
	calc := r.Steps[0].Output.(map[string]any)
	for k, want := range map[string]any{"ratio": "+Inf", "low": "-Inf", "nan": "NaN", "yaml": "+Inf"} {
		if calc[k] != want {
			t.Errorf("output %s = %v, want %v", k, calc[k], want)
		}
	}
	if got := r.Steps[1].Items[0].Item; got != "+Inf" {
		t.Errorf("item 0 = %v, want +Inf", got)
	}
	if r.Outputs["ratio"] != "+Inf" {
		t.Errorf("run output ratio = %v", r.Outputs["ratio"])
	}
	var doc struct{ XMLName xml.Name }
	if err := xml.Unmarshal(mustRead(t, paths["junit"]), &doc); err != nil {
		t.Errorf("JUnit: %v", err)
	}
	for _, p := range []string{paths["markdown"], paths["html"], summary} {
		if !strings.Contains(html.UnescapeString(string(mustRead(t, p))), "+Inf") {
			t.Errorf("%s does not show +Inf", p)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(state, "reports"))
	if len(entries) != 1 {
		t.Fatalf("%d reports in the state dir", len(entries))
	}
	readReport(t, filepath.Join(state, "reports", entries[0].Name()))
	hist := runMain(t, "history", "--state-dir", state, "--json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(hist.stdout), &runs); err != nil || len(runs) != 1 || runs[0]["status"] != string(report.StatusSucceeded) {
		t.Errorf("history: %v\n%s", err, hist.stdout)
	}
	for _, f := range []string{"text", "markdown", "junit", "html", "json"} {
		runMain(t, "report", "show", paths["json"], "--format", f).want(t, ExitOK, []string{"Inf"}, nil)
	}
}

// TestSinkIsNotTheResumedReport: --report naming the report being resumed
// would replace the record of the earlier run; it is refused, and the old
// report stays.
func TestSinkIsNotTheResumedReport(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "fails.yaml", "version: 1\nname: fails\nsteps:\n  - {id: a, op: control.noop}\n  - {id: b, op: control.fail, with: {message: no}}\n")
	rep := filepath.Join(dir, "r.json")
	runMain(t, "run", pb, "--report", rep).want(t, ExitFailed, nil, nil)
	before := mustRead(t, rep)
	runMain(t, "run", pb, "--resume", rep, "--report", rep).want(t, ExitUsage, nil, []string{"--report " + rep + ": is the report given to --resume"})
	if string(mustRead(t, rep)) != string(before) {
		t.Error("the resumed report was changed")
	}
}

// TestAuditLogIsCheckedBeforeTheRun: --audit-log appends to its file, so
// it is refused like a report path when it is a file the run reads, a
// report of the same run or one of the state dir's own files, before it is
// created; a run refused later (a bad report path) leaves no audit log.
func TestAuditLogIsCheckedBeforeTheRun(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran.txt")
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: marked\nsteps:\n  - {id: w, op: file.write, with: {path: "+marker+", content: x}}\n")
	inputs := writePlaybook(t, dir, "inputs.yaml", "{}\n")
	policy := writePlaybook(t, dir, "policy.yaml", "version: 1\nroles:\n  operator: {allow: ['*']}\n")
	state := filepath.Join(dir, "state")
	runMain(t, "run", writePlaybook(t, dir, "q.yaml", quick), "--state-dir", state).want(t, ExitOK, nil, nil)
	keep := map[string][]byte{}
	for _, f := range []string{pb, inputs, policy, filepath.Join(state, "report.key")} {
		keep[f] = mustRead(t, f)
	}
	report := filepath.Join(dir, "r.json")
	summary := filepath.Join(dir, "summary.md")
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"the playbook", []string{"--audit-log", pb}, "--audit-log " + pb + ": it is the playbook (" + pb + "); the audit log would append to it: give another path"},
		{"the policy", []string{"--policy", policy, "--audit-log", policy}, "--audit-log " + policy + ": it is the policy"},
		{"the inputs file", []string{"--inputs", inputs, "--audit-log", inputs}, "it is the --inputs file"},
		{"a report of the run", []string{"--report", report, "--audit-log", report}, "--audit-log " + report + ": it is also where --report goes; give each its own file"},
		{"the report key", []string{"--state-dir", state, "--audit-log", filepath.Join(state, "report.key")}, "it is the state dir's own report.key"},
		{"the state dir's reports", []string{"--state-dir", state, "--audit-log", filepath.Join(state, "reports", "a.log")}, "it is the state dir's own reports"},
		{"the job summary", []string{"--audit-log", summary}, "--audit-log " + summary + ": it is also where $GITHUB_STEP_SUMMARY goes"},
		{"a run refused later", []string{"--report", dir + "/", "--audit-log", filepath.Join(dir, "later.log")}, "--report " + dir + "/: names a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "the job summary" {
				t.Setenv("GITHUB_STEP_SUMMARY", summary)
			}
			res := runWithin(t, append([]string{"run", pb}, tc.args...)...)
			res.want(t, ExitUsage, nil, []string{tc.stderr, "nothing ran"})
			if _, err := os.Stat(marker); err == nil {
				t.Error("the playbook ran")
				os.Remove(marker)
			}
		})
	}
	for f, data := range keep {
		if got := mustRead(t, f); string(got) != string(data) {
			t.Errorf("%s was changed", f)
		}
	}
	for _, f := range []string{report, summary, filepath.Join(state, "reports", "a.log"), filepath.Join(dir, "later.log")} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s was created for a refused run", f)
		}
	}
	// Beside the state dir's files, as serve's default is, it is fine.
	audit := filepath.Join(state, "audit.log")
	runMain(t, "run", pb, "--state-dir", state, "--audit-log", audit).want(t, ExitOK, nil, nil)
	if len(mustRead(t, audit)) == 0 {
		t.Error("the audit log is empty")
	}
}

// TestFlagNamingThePlaybookIsBlamed: a flag whose file is the playbook
// itself (--state-dir h.yaml) is named as the problem, not the playbook,
// which used to be refused as "arsenal-run's state dir".
func TestFlagNamingThePlaybookIsBlamed(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "h.yaml", quick)
	for _, tc := range []struct{ flag, want string }{
		{"--state-dir", "--state-dir " + pb + ": it is the playbook; give a directory for the run history and reports"},
		{"--known-hosts", "--known-hosts " + pb + ": it is the playbook; give a known_hosts file"},
		{"--policy", "--policy " + pb + ": it is the playbook; give the policy file"},
		{"--inventory", "--inventory " + pb + ": it is the playbook; give the inventory file"},
		{"--inputs", "--inputs " + pb + ": it is the playbook; give a YAML or JSON file of input values, like `threshold: 90`"},
	} {
		r := runWithin(t, "run", pb, tc.flag, pb)
		r.want(t, ExitUsage, nil, []string{tc.want, "nothing ran"})
		if strings.Contains(r.stderr, "cannot read the playbook") {
			t.Errorf("%s: the playbook is blamed:\n%s", tc.flag, r.stderr)
		}
	}
}
