package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// writePlaybook writes a playbook into dir and returns its path.
func writePlaybook(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	r, err := report.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestExamplePlaybooksRun runs every playbook in playbooks/ for real, the
// way its header comment says to.
func TestExamplePlaybooksRun(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	cases := map[string][]string{
		"hello.yaml":                   nil,
		"ci-smoke.yaml":                {"--input", "base_url=" + srv.URL, "--input", "max_latency_ms=30000"},
		"nightly-maintenance.yaml":     {"--role", "admin", "--input", "disk_limit_percent=100"},    // the test machine's disk may be fuller than 90 %
		"incident-restart-worker.yaml": {"--role", "admin", "--yes", "--input", "cpu_threshold=10"}, // a busy CI box starves the demo worker
		"fleet-restart.yaml":           {"--role", "admin", "--input", "demo=true"},                 // and a fleet, below
	}
	// These need services of their own, which their tests start.
	ownTest := map[string]bool{"nightly-housekeeping.yaml": true, "incident-service-restart.yaml": true}
	files, _ := filepath.Glob("../../playbooks/*.yaml")
	for _, f := range files {
		name := filepath.Base(f)
		if ownTest[name] {
			continue
		}
		if _, ok := cases[name]; !ok {
			t.Errorf("playbooks/%s is new: add it here, or give it a test of its own", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "report.json")
			args := append([]string{"run", f, "--report", rep}, cases[name]...)
			if name == "fleet-restart.yaml" {
				// Three sshd stand for the web group of the example
				// inventory.
				_, flags := fleetFiles(t, "groups:\n  web: [web-1, web-2, web-3]\n", "web-1", "web-2", "web-3")
				args = append(args, flags...)
			}
			res := runMain(t, args...)
			if res.code != ExitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
			}
			if r := readReport(t, rep); r.Status != report.StatusSucceeded {
				t.Errorf("report status %s", r.Status)
			}
		})
	}
}

func TestRunExitCodesAndReports(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker.txt")
	failing := writePlaybook(t, dir, "failing.yaml", "version: 1\nname: failing\nsteps:\n  - {id: a, op: control.fail, with: {message: broken on purpose}}\n")
	invalid := writePlaybook(t, dir, "invalid.yaml", "version: 1\nname: bad\nsteps:\n  - {id: a, op: control.nope}\n")
	inputs := writePlaybook(t, dir, "inputs.yaml", "version: 1\nname: inputs\ninputs:\n  n: {type: integer, required: true}\nsteps:\n  - {id: a, op: control.noop}\n")
	denied := writePlaybook(t, dir, "denied.yaml", `version: 1
name: denied
steps:
  - {id: write, op: file.write, with: {path: `+marker+`, content: x}}
  - {id: kill, op: process.kill, with: {pid: 4242}}
`)
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
		status report.Status
	}{
		{"failing run", []string{failing}, ExitFailed, "", report.StatusFailed},
		{"invalid playbook", []string{invalid}, ExitUsage, `unknown operation "control.nope"`, ""},
		{"missing input", []string{inputs}, ExitUsage, "n is required", ""},
		{"ill-typed input", []string{inputs, "--input", "n=x"}, ExitUsage, `n: want an integer, got "x"`, ""},
		{"unknown input", []string{inputs, "--input", "n=1", "--input", "m=2"}, ExitUsage, "m: unknown input", ""},
		{"preflight denial runs nothing", []string{denied}, ExitDenied, "authorization denied 1 step", report.StatusFailed},
		{"unknown role", []string{failing, "--role", "root"}, ExitUsage, `unknown role "root"`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "r.json")
			res := runMain(t, append(append([]string{"run"}, tc.args...), "--report", rep)...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstderr:\n%s\nwant it to contain %q", res.code, tc.code, res.stderr, tc.stderr)
			}
			if tc.status == "" {
				if _, err := os.Stat(rep); err == nil {
					t.Error("a report was written although nothing could start")
				}
				return
			}
			if r := readReport(t, rep); r.Status != tc.status {
				t.Errorf("report status %s, want %s", r.Status, tc.status)
			}
		})
	}
	// A role from the environment is named as such, with the role it
	// was likely meant to be.
	res := runEnv(t, map[string]string{"ARSENAL_ROLES": "Admin"}, "run", failing)
	res.want(t, ExitUsage, nil, []string{`unknown role "Admin" in $ARSENAL_ROLES (did you mean "admin"?); the built-in policy (no --policy) defines admin, operator, viewer`})
	if _, err := os.Stat(marker); err == nil {
		t.Error("a step ran although another step was denied at preflight")
	}
	r := readReport(t, func() string {
		p := filepath.Join(dir, "denied.json")
		runMain(t, "run", denied, "--report", p)
		return p
	}())
	got := map[string]report.Status{}
	for _, s := range r.Steps {
		got[s.ID] = s.Status
	}
	if diff := cmp.Diff(map[string]report.Status{"write": "skipped", "kill": "denied"}, got); diff != "" {
		t.Errorf("denied report (-want +got):\n%s", diff)
	}
	// admin may run it; the kill then fails on a pid that does not exist.
	if res := runMain(t, "run", denied, "--role", "admin"); res.code != ExitFailed {
		t.Errorf("as admin: exit %d\n%s", res.code, res.stderr)
	}
}

func TestRunWritesEveryFormat(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.md")
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	pb := writePlaybook(t, dir, "pb.yaml", `version: 1
name: formats
inputs:
  token: {type: string, secret: true, default: s3cr3t-value}
steps:
  - {id: a, op: control.log, with: {message: "token ${{ inputs.token }}"}}
  - {id: b, op: control.fail, with: {message: "b failed"}, continue_on_error: true}
`)
	out := func(ext string) string { return filepath.Join(dir, "out."+ext) }
	res := runMain(t, "run", pb, "--report", out("json"), "--junit", out("xml"), "--markdown", out("md"), "--html", out("html"))
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, f := range []string{out("json"), out("xml"), out("md"), out("html"), summary} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 || strings.Contains(string(data), "s3cr3t-value") {
			t.Errorf("%s: empty or shows the secret", f)
		}
	}
	if strings.Contains(res.stdout+res.stderr, "s3cr3t-value") {
		t.Error("the console shows the secret")
	}
	show := runMain(t, "report", "show", out("json"), "--format", "markdown")
	if show.code != ExitOK || !strings.Contains(show.stdout, "formats") {
		t.Errorf("report show: %d\n%s%s", show.code, show.stdout, show.stderr)
	}
}

func TestRunStateDirHistoryAndResume(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	flag := filepath.Join(dir, "fixed")
	pb := writePlaybook(t, dir, "five.yaml", `version: 1
name: five
steps:
  - {id: one, op: control.set, with: {v: first}}
  - {id: two, op: control.set, with: {v: second}}
  - {id: three, op: file.read, with: {path: `+flag+`}}
  - {id: four, op: control.log, with: {message: "read ${{ steps.three.output.content }}"}}
  - {id: five, op: control.set, with: {v: "${{ steps.one.output.v }}+${{ steps.two.output.v }}"}}
outputs:
  joined: "${{ steps.five.output.v }}"
`)
	first := filepath.Join(dir, "first.json")
	if res := runMain(t, "run", pb, "--state-dir", state, "--report", first); res.code != ExitFailed {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	if err := os.WriteFile(flag, []byte("fixed"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(dir, "second.json")
	res := runMain(t, "run", pb, "--state-dir", state, "--report", second, "--resume", first)
	if res.code != ExitOK {
		t.Fatalf("resumed run: exit %d\n%s", res.code, res.stderr)
	}
	r := readReport(t, second)
	reused := map[string]bool{}
	for _, s := range r.Steps {
		reused[s.ID] = s.Reused
	}
	if diff := cmp.Diff(map[string]bool{"one": true, "two": true, "three": false, "four": false, "five": false}, reused); diff != "" {
		t.Errorf("reused (-want +got):\n%s", diff)
	}
	if r.Outputs["joined"] != "first+second" || r.ResumedFrom != readReport(t, first).RunID {
		t.Errorf("outputs %v resumed_from %q", r.Outputs, r.ResumedFrom)
	}
	// A changed playbook is refused.
	os.WriteFile(pb, append(mustRead(t, pb), []byte("# edited\n")...), 0o644)
	if res := runMain(t, "run", pb, "--resume", first); res.code != ExitUsage || !strings.Contains(res.stderr, "changed since run") {
		t.Errorf("changed playbook: exit %d\n%s", res.code, res.stderr)
	}

	hist := runMain(t, "history", "--state-dir", state, "--json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(hist.stdout), &runs); err != nil || len(runs) != 2 {
		t.Fatalf("history: %v %d runs\n%s%s", err, len(runs), hist.stdout, hist.stderr)
	}
	stats := runMain(t, "stats", "--state-dir", state)
	if stats.code != ExitOK || !strings.Contains(stats.stdout, "control.set") {
		t.Errorf("stats: %d\n%s%s", stats.code, stats.stdout, stats.stderr)
	}
	if _, err := os.Stat(filepath.Join(state, "reports", r.RunID+".json")); err != nil {
		t.Errorf("report not kept under the state dir: %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPreflightDenialIsAudited(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: audited\nsteps:\n  - {id: look, op: control.noop}\n  - {id: kill, op: process.kill, with: {pid: 4242}}\n")
	audit := filepath.Join(dir, "audit.log")
	if res := runMain(t, "run", pb, "--audit-log", audit, "--role", "viewer"); res.code != ExitDenied {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(string(mustRead(t, audit))), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"step":"kill"`) || !strings.Contains(lines[0], `"outcome":"denied"`) || !strings.Contains(lines[0], `"roles":["viewer"]`) {
		t.Errorf("audit log:\n%s", strings.Join(lines, "\n"))
	}
	// An allowed run appends a line per executed step.
	ok := writePlaybook(t, dir, "ok.yaml", "version: 1\nname: ok\nsteps:\n  - {id: a, op: control.noop}\n  - {id: b, op: control.noop}\n")
	runMain(t, "run", ok, "--audit-log", audit)
	if n := len(strings.Split(strings.TrimSpace(string(mustRead(t, audit))), "\n")); n != 3 {
		t.Errorf("audit log has %d lines after an allowed run, want 3", n)
	}
}

func TestKeepRunsPrunes(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: pruned\nsteps:\n  - {id: a, op: control.noop}\n")
	for range 4 {
		if res := runMain(t, "run", pb, "--state-dir", state, "--keep-runs", "2"); res.code != ExitOK {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
	}
	hist := runMain(t, "history", "--state-dir", state, "--json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(hist.stdout), &runs); err != nil || len(runs) != 2 {
		t.Errorf("history after --keep-runs 2: %v, %d runs", err, len(runs))
	}
	reports, _ := os.ReadDir(filepath.Join(state, "reports"))
	if len(reports) != 2 {
		t.Errorf("%d report files kept, want 2", len(reports))
	}
}

func TestRunInputsFileLogsAndDryRun(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	marker := filepath.Join(dir, "written.txt")
	pb := writePlaybook(t, dir, "pb.yaml", `version: 1
name: mixed
inputs:
  who: {type: string, required: true}
  tags: {type: list, default: []}
  n: {type: integer, default: 1}
steps:
  - {id: greet, op: control.log, with: {message: "hi ${{ inputs.who }} ${{ len(inputs.tags) }} ${{ inputs.n }}"}}
  - {id: write, op: file.write, with: {path: `+marker+`, content: x}}
`)
	inputs := filepath.Join(dir, "inputs.yaml")
	os.WriteFile(inputs, []byte("who: file\ntags: [a, b]\nn: 5\n"), 0o644)

	// --input wins over --inputs; logs are JSON lines with run_id, step and op.
	rep := filepath.Join(dir, "r.json")
	res := runMain(t, "run", pb, "--inputs", inputs, "--input", "n=7", "--log-format", "json", "--report", rep)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if got := readReport(t, rep).Steps[0].Output.(map[string]any)["message"]; got != "hi file 2 7" {
		t.Errorf("message %q", got)
	}
	var sawStep bool
	for _, line := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		if m["run_id"] == nil {
			t.Errorf("log line without run_id: %q", line)
		}
		if m["step"] == "greet" && m["op"] == "control.log" {
			sawStep = true
		}
	}
	if !sawStep {
		t.Errorf("no log line for step greet:\n%s", res.stderr)
	}

	// --dry-run executes only read operations.
	os.Remove(marker)
	res = runMain(t, "run", pb, "--input", "who=dry", "--dry-run", "--report", rep)
	if res.code != ExitOK {
		t.Fatalf("dry run: exit %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a dry run wrote a file")
	}
	r := readReport(t, rep)
	if !r.DryRun || r.Steps[1].Status != report.StatusSkipped || r.Steps[0].Status != report.StatusSucceeded {
		t.Errorf("dry run report: dry_run=%v %s %s", r.DryRun, r.Steps[0].Status, r.Steps[1].Status)
	}
}

// TestRunRefusesFlagsItWouldIgnore: an empty report path, a single-valued
// flag given twice (only the last was used) and --keep-runs without a
// history are refused, naming the flag, before anything runs.
func TestRunRefusesFlagsItWouldIgnore(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "q.yaml", quick)
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	vars := map[string]string{}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--report", ""}, "--report is empty; give the path of a file, or leave the flag out"},
		{[]string{"--audit-log", ""}, "--audit-log is empty"},
		{[]string{"--report", a, "--report", b}, "--report is given more than once; it takes one value: keep the one you mean"},
		{[]string{"--max-parallel", "2", "--max-parallel", "3"}, "--max-parallel is given more than once"},
		{[]string{"--keep-runs", "5"}, "--keep-runs prunes the run history, which needs --state-dir DIR (or $ARSENAL_STATE_DIR, or --state URL)"},
		{[]string{"--keep-days", "5"}, "--keep-days prunes the run history"},
	} {
		runEnv(t, vars, append([]string{"run", pb}, tc.args...)...).want(t, ExitUsage, nil, []string{tc.want})
	}
	for _, f := range []string{a, b} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s was written for a refused run", f)
		}
	}
	// Lists and switches may still be repeated; with a state dir from the
	// environment, --keep-runs is fine.
	vars["ARSENAL_STATE_DIR"] = filepath.Join(dir, "state")
	runEnv(t, vars, "run", pb, "--role", "operator", "--role", "admin", "--yes", "--yes", "--keep-runs", "5").want(t, ExitOK, nil, nil)
}
