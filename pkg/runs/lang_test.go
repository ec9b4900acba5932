package runs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestEnvFileFeedsInputsAndSteps checks that a playbook's env_file joins
// the run's environment before inputs resolve: an input's from_env reads
// it, a step sees it as env.X and in its processes, and the request's own
// environment wins.
func TestEnvFileFeedsInputsAndSteps(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("SLACK_URL=https://hooks.example/s3cr3t\nREGION=eu\nOWNER=file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pb.yaml")
	if err := os.WriteFile(path, []byte(`version: 1
name: envfile
env_file: .env
inputs:
  slack: {type: string, secret: true, from_env: SLACK_URL}
steps:
  - {id: values, op: control.set, with: {region: "${{ env.REGION }}", owner: "${{ env.OWNER }}", slack: "${{ inputs.slack }}"}}
  - id: shell
    op: shell.exec
    with: {script: 'echo "$REGION/$OWNER"'}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: path, Caller: Caller{Roles: []string{"operator"}}, Env: MapEnv{"OWNER": "process", "PATH": os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("%s %+v", rep.Status, rep.Error)
	}
	var values, shell report.Step
	for _, s := range rep.Steps {
		switch s.ID {
		case "values":
			values = s
		case "shell":
			shell = s
		}
	}
	if diff := cmp.Diff(map[string]any{"region": "eu", "owner": "process", "slack": "***"}, values.Output); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if got := shell.Output.(map[string]any)["stdout"]; got != "eu/process\n" {
		t.Errorf("the process saw %q", got)
	}
	if rep.Inputs["slack"] != "***" {
		t.Errorf("inputs %v", rep.Inputs)
	}
}

// TestPartialRunThroughTheService checks --from with a resumed report and
// the refusal, before anything runs, of one that reads an unknown output.
func TestPartialRunThroughTheService(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{})
	path := writePlaybook(t, `version: 1
name: partial
steps:
  - {id: fetch, op: control.set, with: {v: "${{ run.id }}"}}
  - {id: build, op: control.set, with: {from: "${{ steps.fetch.output.v }}"}}
`)
	h, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	first := wait(t, h)
	h, err = m.Start(context.Background(), Request{Path: path, ResumeFrom: first.RunID, Selection: engine.Selection{From: "build"}})
	if err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	if rep.Status != report.StatusSucceeded || rep.Steps[1].Output.(map[string]any)["from"] != first.RunID || !rep.Steps[0].Reused {
		t.Errorf("--from build: %s, steps %+v", rep.Status, rep.Steps)
	}
	_, err = m.Start(context.Background(), Request{Path: path, Selection: engine.Selection{Only: []string{"build"}}})
	var pe *PrepareError
	if !errors.As(err, &pe) || pe.Field != "selection" || !strings.Contains(err.Error(), "build reads steps.fetch, whose output is unknown") {
		t.Errorf("--only build without a report: %v", err)
	}
}

// TestRunLink checks the run's link from a base URL, as notifications and
// run.url have it.
func TestRunLink(t *testing.T) {
	for _, c := range []struct{ base, want string }{
		{"", ""},
		{"https://ci.example/arsenal/", "https://ci.example/arsenal/runs/R1"},
		{"https://ci.example/jobs/{run_id}/log", "https://ci.example/jobs/R1/log"},
	} {
		if got := RunLink(c.base, "R1"); got != c.want {
			t.Errorf("RunLink(%q) = %q, want %q", c.base, got, c.want)
		}
	}
	m := newManager(t, Config{}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, `version: 1
name: link
steps:
  - {id: show, op: control.set, with: {url: "${{ run.url }}"}}
`), BaseURL: "https://runs.example"})
	if err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	if got := rep.Steps[0].Output.(map[string]any)["url"]; got != "https://runs.example/runs/"+rep.RunID {
		t.Errorf("run.url = %v", got)
	}
}
