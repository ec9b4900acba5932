package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const goodPlaybook = `version: 1
name: good
inputs:
  who: {type: string, default: world}
steps:
  - id: hello
    op: control.log
    with: {message: "hello ${{ inputs.who }}"}
  - id: check
    op: control.assert
    with: {that: "${{ steps.hello.output.message != \"\" }}"}
`

const badPlaybook = `version: 1
name: Bad
steps:
  - id: wait
    op: control.slep
  - id: check
    op: control.assert
    wehn: true
    with: {that: "${{ steps.later.status == \"succeeded\" }}"}
    retry: {attempts: 0}
  - id: later
    op: control.log
    with: {message: hi, level: loud}
`

// badWant are the problems of badPlaybook, in order.
var badWant = []string{
	`bad.yaml:2:7: name "Bad": use lower-case letters, digits, - and _, starting with a letter or digit, at most 64 characters`,
	`bad.yaml:5:9: unknown operation "control.slep" (did you mean "control.sleep"?); see 'arsenal-run ops list'`,
	`bad.yaml:8:5: unknown key "wehn" in a step (did you mean "when"?)`,
	`bad.yaml:9:29: steps.later runs after step check, which it needs (directly or not), so check cannot read it; move this to a step after later`,
	`bad.yaml:10:23: retry.attempts is 0`,
	`bad.yaml:13:25: step later: control.log: param level: loud is not one of debug, info, warn, error`,
}

// playbookDir writes files into a temp dir and changes into it, so that
// messages name the files as given.
func playbookDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

func TestValidateGood(t *testing.T) {
	playbookDir(t, map[string]string{"good.yaml": goodPlaybook, "also.yaml": goodPlaybook})
	r := runEnv(t, nil, "validate", "good.yaml")
	r.want(t, ExitOK, nil, nil)
	if diff := cmp.Diff("ok  good.yaml (2 steps)\n", r.stdout); diff != "" || r.stderr != "" {
		t.Errorf("stdout (-want +got):\n%s\nstderr: %s", diff, r.stderr)
	}
	r = runEnv(t, nil, "validate", "good.yaml", "also.yaml")
	r.want(t, ExitOK, []string{"ok  good.yaml", "ok  also.yaml", "all 2 playbooks are valid"}, nil)
}

func TestValidateBad(t *testing.T) {
	playbookDir(t, map[string]string{"good.yaml": goodPlaybook, "bad.yaml": badPlaybook, "also.yaml": goodPlaybook})
	r := runEnv(t, nil, "validate", "good.yaml", "bad.yaml", "also.yaml")
	r.want(t, ExitUsage, []string{"ok  good.yaml (2 steps)", "ok  also.yaml (2 steps)"}, nil)
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != len(badWant)+1 {
		t.Fatalf("want %d problems and a summary, got:\n%s", len(badWant), r.stderr)
	}
	for i, w := range badWant {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d:\n got %s\nwant %s...", i+1, lines[i], w)
		}
	}
	if want := "1 of 3 playbooks has problems (6 errors)"; lines[len(lines)-1] != want {
		t.Errorf("summary %q, want %q", lines[len(lines)-1], want)
	}
}

// TestValidateRefusesACachedWrite: a cache: on a write operation fails
// every run before it starts, so validate refuses it at its position, with
// or without --role, and --policy can allow it.
func TestValidateRefusesACachedWrite(t *testing.T) {
	dir := playbookDir(t, map[string]string{"w.yaml": `version: 1
name: w
steps:
  - id: build
    op: shell.exec
    with: {script: make}
    cache: {ttl: 24h}
`, "allow.yaml": "version: 1\ncache: {allow: [shell.exec]}\n"})
	want := "w.yaml:7:12: cache: shell.exec is a write operation, and only read operations are cached"
	runEnv(t, nil, "validate", "w.yaml").want(t, ExitUsage, nil, []string{want, "1 of 1 playbook has problems (1 error)"})
	runEnv(t, nil, "validate", "w.yaml", "--role", "operator").want(t, ExitUsage, nil, []string{want})
	runEnv(t, nil, "validate", "w.yaml", "--policy", filepath.Join(dir, "allow.yaml")).want(t, ExitOK, []string{"ok  w.yaml"}, nil)
}

func TestValidateSummaryCounts(t *testing.T) {
	playbookDir(t, map[string]string{"bad.yaml": badPlaybook, "b2.yaml": "version: 2\nname: b2\nsteps: []\n"})
	r := runEnv(t, nil, "validate", "bad.yaml", "b2.yaml", "missing.yaml")
	r.want(t, ExitUsage, nil, []string{"b2.yaml:1:10: unknown version 2", "missing.yaml: cannot read the playbook", "3 of 3 playbooks have problems (9 errors)"})
	r = runEnv(t, nil, "validate", "missing.yaml")
	r.want(t, ExitUsage, nil, []string{"1 of 1 playbook has problems (1 error)"})
}

func TestValidateDirectory(t *testing.T) {
	playbookDir(t, map[string]string{"pbs/a.yaml": goodPlaybook, "pbs/b.yml": strings.Replace(goodPlaybook, "name: good", "name: good-too", 1), "pbs/notes.txt": "x", "empty/.keep": ""})
	r := runEnv(t, nil, "validate", "pbs")
	r.want(t, ExitOK, []string{"ok  " + filepath.Join("pbs", "a.yaml"), "ok  " + filepath.Join("pbs", "b.yml")}, nil)
	if strings.Contains(r.stdout, "notes") {
		t.Errorf("a .txt file was validated:\n%s", r.stdout)
	}
	r = runEnv(t, nil, "validate", "empty")
	r.want(t, ExitUsage, nil, []string{"empty: no playbooks", "\nno playbooks in empty; nothing was validated\n"})
	if strings.Contains(r.stderr, "playbook has problems") {
		t.Errorf("an empty directory was counted as a playbook:\n%s", r.stderr)
	}
}

// A directory without playbooks next to valid ones: the summary says what
// it found and counts only playbooks.
func TestValidateEmptyDirBesideValid(t *testing.T) {
	playbookDir(t, map[string]string{"pbs/a.yaml": goodPlaybook, "empty/.keep": "", "bad.yaml": badPlaybook})
	runEnv(t, nil, "validate", "empty", "pbs").want(t, ExitUsage, nil, []string{"\nno playbooks in empty; the 1 playbook is valid\n"})
	r := runEnv(t, nil, "validate", "empty", "pbs", "bad.yaml")
	r.want(t, ExitUsage, nil, []string{"\nno playbooks in empty; 1 of 2 playbooks has problems ("})
	// A tool reading the document keeps its counts: the directory is an
	// invalid entry with one error.
	doc := validateJSON(t, ExitUsage, "empty", "pbs")
	if doc.Summary.Playbooks != 2 || doc.Summary.Invalid != 1 || doc.Summary.Errors != 1 {
		t.Errorf("summary %+v, want 2 entries, 1 invalid, 1 error", doc.Summary)
	}
}

// TestValidateDirOfDirs: a directory whose playbooks are in its
// subdirectories, which validate does not read, is refused naming them,
// so that the user knows what to give; an empty one says what to give.
func TestValidateDirOfDirs(t *testing.T) {
	playbookDir(t, map[string]string{"teams/db/a.yaml": goodPlaybook, "teams/web/b.yml": goodPlaybook,
		"teams/docs/notes.txt": "", "teams/.git/x.yaml": goodPlaybook, "empty/.keep": ""})
	r := runEnv(t, nil, "validate", "teams")
	r.want(t, ExitUsage, nil, []string{"teams: no playbooks (*.yaml, *.yml) in this directory; its subdirectories are not read: give those that hold playbooks, like " +
		filepath.Join("teams", "db") + " " + filepath.Join("teams", "web") + "\n"})
	runEnv(t, nil, "validate", "empty").want(t, ExitUsage, nil, []string{"empty: no playbooks (*.yaml, *.yml) in this directory; give the playbook files, or the directory that holds them\n"})
}

func TestValidateFlagsAfterFiles(t *testing.T) {
	playbookDir(t, map[string]string{"good.yaml": goodPlaybook})
	r := runEnv(t, nil, "validate", "good.yaml", "--role", "viewer")
	r.want(t, ExitOK, []string{"ok  good.yaml", "allowed  hello", "role viewer: max_risk read"}, nil)
}

func TestValidateAuthorization(t *testing.T) {
	playbookDir(t, map[string]string{
		"good.yaml": goodPlaybook,
		"policy.yaml": `version: 1
roles:
  quiet:
    allow: [control.assert]
`,
		"broken-policy.yaml": "version: 1\nroles:\n  x: {alow: [control.log]}\n",
	})
	r := runEnv(t, nil, "validate", "--policy", "policy.yaml", "--role", "quiet", "good.yaml")
	r.want(t, ExitDenied, []string{"DENIED   hello", "allowed  check"}, []string{"1 of 1 playbook has denied steps (1 step denied) for role quiet"})

	// Roles from the environment, checked with the built-in policy.
	runEnv(t, map[string]string{"ARSENAL_ROLES": "viewer,admin"}, "validate", "good.yaml").
		want(t, ExitOK, []string{"allowed  hello"}, nil)
	// Without roles or a policy, authorization is not checked.
	if r := runEnv(t, nil, "validate", "good.yaml"); strings.Contains(r.stdout, "allowed") {
		t.Errorf("authorization checked without roles:\n%s", r.stdout)
	}

	runEnv(t, nil, "validate", "--role", "opertor", "good.yaml").
		want(t, ExitUsage, nil, []string{`unknown role "opertor" (did you mean "operator"?); the built-in policy (no --policy) defines admin, operator, viewer`})
	runEnv(t, nil, "validate", "--policy", "policy.yaml", "--role", "quite", "good.yaml").
		want(t, ExitUsage, nil, []string{`unknown role "quite" (did you mean "quiet"?); the policy policy.yaml defines admin, operator, quiet, viewer`})
	r = runEnv(t, nil, "validate", "--policy", "broken-policy.yaml", "good.yaml")
	r.want(t, ExitUsage, nil, []string{`broken-policy.yaml:3:7: unknown key "alow"`, "nothing was validated"})
	if r.stdout != "" {
		t.Errorf("playbooks validated despite a broken policy:\n%s", r.stdout)
	}
}

// TestValidateDeniedFileIsNotOK: a playbook with a step denied to the
// roles fails the check with exit 3, so its line says DENIED, not ok, in
// text and github alike; one whose steps are all allowed stays ok.
func TestValidateDeniedFileIsNotOK(t *testing.T) {
	playbookDir(t, map[string]string{"good.yaml": goodPlaybook, "policy.yaml": "version: 1\nroles:\n  quiet:\n    allow: [control.assert]\n"})
	for _, format := range []string{"text", "github"} {
		r := runEnv(t, nil, "validate", "--format", format, "--policy", "policy.yaml", "--role", "quiet", "good.yaml")
		r.want(t, ExitDenied, []string{"DENIED  good.yaml (2 steps, 1 denied)\n"}, nil)
		if strings.Contains(r.stdout, "ok  good.yaml") {
			t.Errorf("--format %s: a denied playbook is said ok:\n%s", format, r.stdout)
		}
	}
	runEnv(t, nil, "validate", "--role", "operator", "good.yaml").want(t, ExitOK, []string{"ok  good.yaml (2 steps)\n"}, nil)
}
