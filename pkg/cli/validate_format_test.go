package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// oddPlaybook has a problem whose message holds a comma, a % and a
// newline: the value it quotes.
const oddPlaybook = "version: 1\nname: odd\nsteps:\n  - id: a\n    op: control.log\n    with: {message: hi, level: \"lo,%\\nud\"}\n"

const oddMessage = "step a: control.log: param level: lo,%\nud is not one of debug, info, warn, error"

// validateJSON runs validate --format json and checks that stdout is one
// document that the schema of 'arsenal-run schema validate' accepts.
func validateJSON(t *testing.T, code int, args ...string) validateDoc {
	t.Helper()
	r := runEnv(t, nil, append([]string{"validate", "--format", "json"}, args...)...)
	if r.code != code || r.stderr != "" {
		t.Fatalf("exit code %d, want %d; stderr %q", r.code, code, r.stderr)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if err := schematest.Compile(t, "validate").Validate(v); err != nil {
		t.Errorf("the document does not match schema/validate.schema.json: %v\n%s", err, r.stdout)
	}
	var doc validateDoc
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Errorf("more than one JSON document:\n%s", r.stdout)
	}
	return doc
}

func TestValidateFormatJSON(t *testing.T) {
	playbookDir(t, map[string]string{
		"pbs/good.yaml":  goodPlaybook,
		"pbs/odd.yaml":   oddPlaybook,
		"pbs/.#x.yaml":   goodPlaybook,
		"pbs/warn.yaml":  "version: 1\nname: warn\nsteps:\n  - id: a\n    op: control.log\n    with: {message: \"${ inputs.x }\"}\n",
		"dup/a.yaml":     goodPlaybook,
		"dup/b.yaml":     goodPlaybook,
		"onlyskip/.keep": "",
	})
	doc := validateJSON(t, ExitUsage, "pbs", "dup", "missing.yaml")
	odd, good, warn := filepath.Join("pbs", "odd.yaml"), filepath.Join("pbs", "good.yaml"), filepath.Join("pbs", "warn.yaml")
	two, three := 2, 1
	wantFiles := []validateFile{
		{File: filepath.Join("pbs", ".#x.yaml"), Status: "skipped", Reason: doc.Files[0].Reason},
		{File: good, Status: "ok", Steps: &two},
		{File: odd, Status: "invalid"},
		{File: warn, Status: "ok", Steps: &three},
		{File: filepath.Join("dup", "a.yaml"), Status: "ok", Steps: &two},
		{File: filepath.Join("dup", "b.yaml"), Status: "invalid"},
		{File: "missing.yaml", Status: "invalid"},
	}
	if diff := cmp.Diff(wantFiles, doc.Files); diff != "" || doc.Files[0].Reason == "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(doc.Problems) != 4 {
		t.Fatalf("want 4 problems, got %+v", doc.Problems)
	}
	if p := doc.Problems[0]; p != (validateProblem{File: odd, Line: 6, Column: 25, Severity: "error", Message: oddMessage}) {
		t.Errorf("problem 1: %+v", p)
	}
	if p := doc.Problems[1]; p.File != warn || p.Severity != "warning" || p.Line != 6 {
		t.Errorf("problem 2, want a warning of %s: %+v", warn, p)
	}
	if p := doc.Problems[2]; p.File != filepath.Join("dup", "b.yaml") || p.Line != 2 || !strings.Contains(p.Message, "is also used by") {
		t.Errorf("problem 3, want the name used twice: %+v", p)
	}
	if p := doc.Problems[3]; p.File != "missing.yaml" || !strings.Contains(p.Message, "cannot read the playbook") {
		t.Errorf("problem 4: %+v", p)
	}
	want := validateSummary{Playbooks: 6, Invalid: 3, Errors: 3}
	if doc.Version != 1 || doc.Valid || doc.ExitCode != ExitUsage || doc.Summary != want {
		t.Errorf("version %d valid %v exit_code %d summary %+v, want 1 false 2 %+v", doc.Version, doc.Valid, doc.ExitCode, doc.Summary, want)
	}

	// A directory without playbooks is a problem without a position.
	doc = validateJSON(t, ExitUsage, "onlyskip")
	if len(doc.Problems) != 1 || doc.Problems[0].Line != 0 || doc.Problems[0].File != "onlyskip" {
		t.Errorf("problems %+v, want one of onlyskip without a position", doc.Problems)
	}

	doc = validateJSON(t, ExitOK, "pbs/good.yaml")
	if !doc.Valid || len(doc.Problems) != 0 || len(doc.Files) != 1 {
		t.Errorf("a valid playbook: %+v", doc)
	}
}

func TestValidateFormatJSONDenied(t *testing.T) {
	playbookDir(t, map[string]string{"w.yaml": "version: 1\nname: w\nsteps:\n  - id: build\n    op: shell.exec\n    with: {script: make}\n"})
	doc := validateJSON(t, ExitDenied, "w.yaml", "--role", "viewer")
	if len(doc.Files) != 1 || doc.Files[0].Status != "denied" || len(doc.Files[0].Decisions) != 1 || doc.Files[0].Decisions[0].Allowed {
		t.Errorf("files %+v, want w.yaml denied with its step's verdict", doc.Files)
	}
	if doc.Summary.Denied != 1 || doc.Summary.DeniedSteps != 1 || doc.ExitCode != ExitDenied {
		t.Errorf("summary %+v exit_code %d", doc.Summary, doc.ExitCode)
	}

	// A policy checked alone, with problems.
	playbookDir(t, map[string]string{"policy.yaml": "version: 1\nroles:\n  x: {max_rsk: read}\n"})
	doc = validateJSON(t, ExitUsage, "--policy", "policy.yaml")
	if len(doc.Problems) == 0 || doc.Problems[0].File != "policy.yaml" || doc.Problems[0].Line == 0 {
		t.Errorf("problems %+v, want the policy's at their positions", doc.Problems)
	}
}

func TestValidateFormatGitHub(t *testing.T) {
	playbookDir(t, map[string]string{"o,d:d%.yaml": oddPlaybook, "good.yaml": goodPlaybook})
	r := runEnv(t, nil, "validate", "--format=github", "o,d:d%.yaml", "good.yaml")
	want := "::error file=o%2Cd%3Ad%25.yaml,line=6,col=25::step a: control.log: param level: lo,%25%0Aud is not one of debug, info, warn, error\n" +
		"ok  good.yaml (2 steps)\n"
	if diff := cmp.Diff(want, r.stdout); diff != "" || r.code != ExitUsage {
		t.Errorf("exit code %d; stdout (-want +got):\n%s", r.code, diff)
	}
	if r.stderr != "1 of 2 playbooks has problems (1 error)\n" {
		t.Errorf("stderr %q, want the summary alone", r.stderr)
	}

	playbookDir(t, map[string]string{"w.yaml": "version: 1\nname: w\nsteps:\n  - id: a\n    op: control.log\n    with: {message: \"${ inputs.x }\"}\n  - id: build\n    op: shell.exec\n    with: {script: make}\n"})
	r = runEnv(t, nil, "validate", "--format", "github", "w.yaml", "--role", "viewer")
	r.want(t, ExitDenied, []string{"::warning file=w.yaml,line=6,col=", "::error file=w.yaml,line=7,col=5::step build (shell.exec, risk write) is DENIED for viewer: "}, nil)
}

// TestValidateFormatGitHubWorkspacePaths: inside a job, annotations name
// files relative to $GITHUB_WORKSPACE, which GitHub reads them against,
// whatever the step's working-directory; a file outside it, absolute.
func TestValidateFormatGitHubWorkspacePaths(t *testing.T) {
	dir := playbookDir(t, map[string]string{"ops/odd.yaml": oddPlaybook})
	t.Chdir(filepath.Join(dir, "ops"))
	r := runEnv(t, map[string]string{"GITHUB_WORKSPACE": dir}, "validate", "--format", "github", "odd.yaml")
	r.want(t, ExitUsage, []string{"::error file=ops/odd.yaml,line=6,col=25::"}, nil)

	other := t.TempDir()
	r = runEnv(t, map[string]string{"GITHUB_WORKSPACE": other}, "validate", "--format", "github", "odd.yaml")
	abs := filepath.ToSlash(filepath.Join(dir, "ops", "odd.yaml"))
	r.want(t, ExitUsage, []string{"::error file=" + githubProperty(abs) + ",line=6,col=25::"}, nil)
}

func TestValidateFormatRefused(t *testing.T) {
	playbookDir(t, map[string]string{"good.yaml": goodPlaybook})
	runEnv(t, nil, "validate", "--format", "jsn", "good.yaml").want(t, ExitUsage, nil,
		[]string{`unknown format "jsn" (did you mean "json"?); use one of text, json, github`})
}

func TestGitHubEscapes(t *testing.T) {
	got := githubCommand(validateProblem{File: "a,b:c%\r\n.yaml", Line: 1, Column: 2, Severity: "warning", Message: "x,y:z%\r\nw"})
	if want := "::warning file=a%2Cb%3Ac%25%0D%0A.yaml,line=1,col=2::x,y:z%25%0D%0Aw"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A problem with a line but no column is annotated at the line, not
	// at a column 0 that GitHub would show.
	if got, want := githubCommand(validateProblem{File: "a.yaml", Line: 3, Severity: "error", Message: "m"}), "::error file=a.yaml,line=3::m"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestValidateFormatJSONCountsEveryError: summary.errors is the number of
// errors in problems, whatever file they are in: a CI check that reads
// the count must not see 0 for a policy or an inventory with problems.
func TestValidateFormatJSONCountsEveryError(t *testing.T) {
	playbookDir(t, map[string]string{
		"policy.yaml": "version: 1\nroles:\n  x: {max_rsk: read}\n",
		"inv.yaml":    "version: 1\nhosts: [\n",
		"good.yaml":   goodPlaybook,
	})
	for _, args := range [][]string{
		{"--policy", "policy.yaml"},
		{"--policy", "policy.yaml", "good.yaml"},
		{"--inventory", "inv.yaml", "good.yaml"},
	} {
		doc := validateJSON(t, ExitUsage, args...)
		errs := 0
		for _, p := range doc.Problems {
			if p.Severity == "error" {
				errs++
			}
		}
		if errs == 0 || doc.Summary.Errors != errs {
			t.Errorf("%v: summary.errors %d, want the %d errors of problems %+v", args, doc.Summary.Errors, errs, doc.Problems)
		}
	}
}

// TestValidateFormatJSONUsageError: a usage error under --format json is a
// document too, with the error as a problem of no file and exit code 2,
// and nothing on stderr; a missing file and a directory without
// playbooks are problems of theirs.
func TestValidateFormatJSONUsageError(t *testing.T) {
	dir := playbookDir(t, map[string]string{"good.yaml": goodPlaybook})
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		file string
		want string
	}{
		{[]string{"--bogus", "good.yaml"}, "", "unknown flag --bogus; run 'arsenal-run validate --help' for usage"},
		{nil, "", "give at least one playbook"},
		{[]string{"--role", "nobody", "good.yaml"}, "", `unknown role "nobody"`},
		{[]string{"good.yaml", "--role"}, "", "flag --role needs a value"},
		{[]string{"nosuch.yaml"}, "nosuch.yaml", "cannot read the playbook"},
		{[]string{"empty"}, "empty", "no playbooks (*.yaml, *.yml) in this directory"},
	} {
		doc := validateJSON(t, ExitUsage, tc.args...)
		if doc.Valid || doc.ExitCode != ExitUsage || len(doc.Problems) != 1 || doc.Problems[0].File != tc.file ||
			!strings.Contains(doc.Problems[0].Message, tc.want) || doc.Summary.Errors != 1 {
			t.Errorf("%q: got %+v, want one problem of file %q with %q", tc.args, doc, tc.file, tc.want)
		}
	}
	// Given as --format=JSON, after the error, it is read as well.
	r := runEnv(t, nil, "validate", "--bogus", "--format=JSON", "good.yaml")
	if r.code != ExitUsage || r.stderr != "" || !strings.Contains(r.stdout, `"exit_code": 2`) {
		t.Errorf("--format=JSON after the error: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestValidateFormatBadPlugins: a --plugins directory that is missing or
// holds a broken manifest is, under --format json, a problem of the
// document (at the manifest's line), not lines on stderr and no document;
// under --format github an annotation at that line.
func TestValidateFormatBadPlugins(t *testing.T) {
	dir := playbookDir(t, map[string]string{"good.yaml": goodPlaybook, "plugins/broken.yaml": "version: 1\nname: acme.broken\ncategory: acme\ndescription: x\nrisk: maybe\ncommand: [./x.sh]\n"})
	plugins := filepath.Join(dir, "plugins")
	doc := validateJSON(t, ExitUsage, "--plugins", plugins, "good.yaml")
	broken := filepath.Join(plugins, "broken.yaml")
	if len(doc.Problems) == 0 || doc.Problems[0].File != broken || doc.Problems[0].Line != 5 || !strings.Contains(doc.Problems[0].Message, `unknown risk "maybe"`) {
		t.Errorf("problems %+v, want the manifest's at its line", doc.Problems)
	}
	missing := filepath.Join(dir, "nope")
	doc = validateJSON(t, ExitUsage, "--plugins", missing, "good.yaml")
	if len(doc.Problems) != 1 || doc.Problems[0].File != missing || !strings.Contains(doc.Problems[0].Message, "is not a directory of plugin manifests") {
		t.Errorf("problems %+v, want the missing directory's", doc.Problems)
	}
	r := runEnv(t, nil, "validate", "--format", "github", "--plugins", plugins, "good.yaml")
	r.want(t, ExitUsage, []string{"::error file=" + githubProperty(broken) + ",line=5,col=7::unknown risk"}, []string{"have problems"})
}

// TestValidateFormatGitHubUsageError: under --format github a usage error
// is an error annotation of no file, which GitHub shows in the run's
// summary, rather than plain text in the log alone; the exit code is 2.
func TestValidateFormatGitHubUsageError(t *testing.T) {
	playbookDir(t, map[string]string{"good.yaml": goodPlaybook})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus", "good.yaml"}, "::error::unknown flag --bogus; run 'arsenal-run validate --help' for usage\n"},
		{[]string{"--role", "nobody", "good.yaml"}, `::error::unknown role "nobody"`},
		{nil, "::error::give at least one playbook"},
	} {
		r := runEnv(t, nil, append([]string{"validate", "--format=github"}, tc.args...)...)
		if r.code != ExitUsage || r.stderr != "" || !strings.HasPrefix(r.stdout, tc.want) || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want one line %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
}
