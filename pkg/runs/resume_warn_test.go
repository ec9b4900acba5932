package runs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestResumeOfAChangedReportWarns: a report that fails its check against
// the state dir's key (edited since it was written) still resumes without
// a grant, but the user is told the steps it reuses are taken as it says.
func TestResumeOfAChangedReportWarns(t *testing.T) {
	state := t.TempDir()
	var mu sync.Mutex
	var warnings []string
	warn := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, fmt.Sprintf(format, args...))
	}
	m := newManager(t, Config{StateDir: state, Warn: warn}, Limits{})
	path := writePlaybook(t, `version: 1
name: half
steps:
  - {id: one, op: control.log, with: {message: first}}
  - {id: two, op: control.assert, with: {that: false, message: stop here}}
`)
	first := wait(t, mustStart(t, m, Request{Path: path}))
	if first.Status != "failed" {
		t.Fatalf("first run %s", first.Status)
	}
	recorded := filepath.Join(state, history.ReportsDir, first.RunID+".json")
	data, err := os.ReadFile(recorded)
	if err != nil {
		t.Fatal(err)
	}
	resume := func(file string) []string {
		mu.Lock()
		warnings = nil
		mu.Unlock()
		wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: file}))
		mu.Lock()
		defer mu.Unlock()
		return warnings
	}
	if w := resume(recorded); len(w) != 0 {
		t.Errorf("the report as recorded gave warnings: %q", w)
	}
	changed := filepath.Join(t.TempDir(), "changed.json")
	if err := os.WriteFile(changed, []byte(strings.Replace(string(data), `"first"`, `"forged"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	w := resume(changed)
	if len(w) != 1 || !strings.Contains(w[0], "--resume "+changed+": the report fails its check") || !strings.Contains(w[0], "taken as it says") {
		t.Errorf("warnings for a changed report: %q", w)
	}
}

func mustStart(t *testing.T, m *Manager, req Request) *Handle {
	t.Helper()
	h, err := m.Start(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestRealRunDoesNotResumeADryRun: a dry run's steps are recorded
// succeeded though their writes, and a sub-playbook's, were skipped;
// a real run resuming it, or starting later from it, would reuse them and
// end succeeded with nothing done. It is refused; a dry run may resume it.
func TestRealRunDoesNotResumeADryRun(t *testing.T) {
	state := t.TempDir()
	m := newManager(t, Config{StateDir: state}, Limits{})
	dir := t.TempDir()
	marker := filepath.Join(dir, "wrote")
	if err := os.WriteFile(filepath.Join(dir, "sub.yaml"), []byte("version: 1\nname: sub\nsteps:\n  - {id: write, op: file.write, with: {path: "+marker+", content: x}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "top.yaml")
	if err := os.WriteFile(path, []byte(`version: 1
name: top
inputs: {go: {type: bool, default: false}}
steps:
  - {id: deploy, op: playbook.run, with: {path: sub.yaml}}
  - {id: check, op: control.assert, with: {that: "${{ inputs.go }}", message: not go}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	dry := wait(t, mustStart(t, m, Request{Path: path, DryRun: true}))
	if dry.Status != "failed" {
		t.Fatalf("the dry run %s", dry.Status)
	}
	for _, req := range []Request{
		{Path: path, ResumeFrom: dry.RunID, Inputs: map[string]any{"go": true}},
		{Path: path, ResumeFrom: dry.RunID, Inputs: map[string]any{"go": true}, Selection: engine.Selection{From: "check"}},
	} {
		_, err := m.Start(context.Background(), req)
		if err == nil || !strings.Contains(err.Error(), "was a dry run: its writes did not happen") {
			t.Errorf("a real run resuming a dry run (selection %+v): %v", req.Selection, err)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the sub-playbook wrote")
	}
	again := wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: dry.RunID, DryRun: true}))
	if again.Status == "" {
		t.Error("a dry run resuming a dry run did not run")
	}
	// A dry run that succeeded: a plain resume has nothing to do, but a
	// partial run would take its deploy step, recorded succeeded, as done.
	good := wait(t, mustStart(t, m, Request{Path: path, DryRun: true, Inputs: map[string]any{"go": true}}))
	if good.Status != "succeeded" {
		t.Fatalf("the second dry run %s", good.Status)
	}
	for _, sel := range []engine.Selection{{From: "check"}, {Only: []string{"check"}}} {
		_, err := m.Start(context.Background(), Request{Path: path, ResumeFrom: good.RunID, Inputs: map[string]any{"go": true}, Selection: sel})
		if err == nil || !strings.Contains(err.Error(), "was a dry run: its writes did not happen") {
			t.Errorf("a real run %s resuming a succeeded dry run: %v", sel, err)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the sub-playbook wrote")
	}
	if h, err := m.Start(context.Background(), Request{Path: path, ResumeFrom: good.RunID, DryRun: true, Inputs: map[string]any{"go": true}, Selection: engine.Selection{From: "check"}}); err != nil {
		t.Errorf("a dry run from a step of a succeeded dry run: %v", err)
	} else if rep := wait(t, h); rep.Status != "succeeded" {
		t.Errorf("a dry run from a step of a succeeded dry run %s", rep.Status)
	}
}

// TestResumeRefusesAMaskedInput: an ordinary input whose value held a
// secret's text is recorded with the text masked; a resume that took the
// report's copy would run with *** in its place. The resume is refused,
// naming each such input (in a string or nested in a list), until it is
// given again; an input the report holds whole is still taken from it.
func TestResumeRefusesAMaskedInput(t *testing.T) {
	state := t.TempDir()
	m := newManager(t, Config{StateDir: state}, Limits{})
	path := writePlaybook(t, `version: 1
name: masked
inputs:
  tok: {type: string, secret: true}
  target: {type: string}
  hosts: {type: list}
  note: {type: string}
  go: {type: bool, default: false}
steps:
  - {id: one, op: control.log, with: {message: "${{ inputs.note }}"}}
  - {id: two, op: control.assert, with: {that: '${{ inputs.go && inputs.target == "db-hunter2xyz-01" && inputs.note == "plain" }}', message: stop here}}
`)
	secret := "hunter2xyz"
	first := wait(t, mustStart(t, m, Request{Path: path, Inputs: map[string]any{
		"tok": secret, "target": "db-" + secret + "-01", "hosts": []any{"a", "b-" + secret}, "note": "plain"}}))
	if first.Status != "failed" {
		t.Fatalf("first run %s", first.Status)
	}
	_, err := m.Start(context.Background(), Request{Path: path, ResumeFrom: first.RunID, Inputs: map[string]any{"tok": secret, "go": true}})
	var pe *PrepareError
	if !errors.As(err, &pe) || pe.Field != "inputs" {
		t.Fatalf("resuming without the masked inputs: %v", err)
	}
	for _, want := range []string{"input hosts: run " + first.RunID + " recorded it with a secret's text masked", "give it again in a file only you can read with --inputs FILE", "input target:", "--inputs FILE (not --input"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "note") {
		t.Errorf("the refusal %q names an input the report holds whole", err)
	}
	_, err = m.Start(context.Background(), Request{Path: path, ResumeFrom: first.RunID, Inputs: map[string]any{"tok": secret, "go": true, "target": "db-" + secret + "-01"}})
	if err == nil || !strings.Contains(err.Error(), "input hosts:") || strings.Contains(err.Error(), "input target:") {
		t.Errorf("resuming with target given again: %v", err)
	}
	again := wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: first.RunID, Inputs: map[string]any{"tok": secret, "go": true, "hosts": []any{"a"}},
		InputText: map[string]string{"target": "db-" + secret + "-01"}}))
	if again.Status != "succeeded" {
		t.Errorf("resuming with the masked inputs given again: %s", again.Status)
	}
}

// TestResumeRefusesALostSecretInput: a secret input is recorded masked,
// so a resume cannot take it from the report; one not given again would
// run with its default or its zero value in place of the one the failed
// run had. The report masks every secret, an empty one too, so the
// resume is refused, naming each, unless it is given again or its own
// source (its env variable) has it.
func TestResumeRefusesALostSecretInput(t *testing.T) {
	state := t.TempDir()
	m := newManager(t, Config{StateDir: state}, Limits{})
	path := writePlaybook(t, `version: 1
name: lost
inputs:
  tok: {type: string, secret: true, default: fallback}
  key: {type: string, secret: true, env: LOST_KEY}
  spare: {type: string, secret: true}
  go: {type: bool, default: false}
steps:
  - {id: one, op: control.log, with: {message: start}}
  - {id: two, op: control.assert, with: {that: '${{ inputs.go && inputs.tok == "hunter2xyz" && inputs.key == "k-9q8w7e" }}', message: stop here}}
`)
	env := MapEnv{"LOST_KEY": "k-9q8w7e"}
	first := wait(t, mustStart(t, m, Request{Path: path, Env: env, Inputs: map[string]any{"tok": "hunter2xyz"}}))
	if first.Status != "failed" {
		t.Fatalf("first run %s", first.Status)
	}
	_, err := m.Start(context.Background(), Request{Path: path, Env: env, ResumeFrom: first.RunID, Inputs: map[string]any{"go": true}})
	var pe *PrepareError
	if !errors.As(err, &pe) || pe.Field != "inputs" {
		t.Fatalf("resuming without the secret input: %v", err)
	}
	for _, want := range []string{"input tok: run " + first.RunID + " recorded it masked, as a secret input, not the value it ran with; give it again in a file only you can read with --inputs FILE", "input spare:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "=VALUE") {
		t.Errorf("the refusal %q asks for a secret on the command line", err)
	}
	if strings.Contains(err.Error(), "input key") {
		t.Errorf("the refusal %q names a secret its env variable gives", err)
	}
	again := wait(t, mustStart(t, m, Request{Path: path, Env: env, ResumeFrom: first.RunID, Inputs: map[string]any{"go": true, "tok": "hunter2xyz", "spare": ""}}))
	if again.Status != "succeeded" {
		t.Errorf("resuming with the secret given again: %s", again.Status)
	}
}

// TestResumeAfterKeyRotationSaysSo: after the state dir's report key was
// replaced, resuming a run recorded before says another key signed its
// report, not that someone changed it.
func TestResumeAfterKeyRotationSaysSo(t *testing.T) {
	state := t.TempDir()
	var mu sync.Mutex
	var warnings []string
	warn := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, fmt.Sprintf(format, args...))
	}
	path := writePlaybook(t, `version: 1
name: half
steps:
  - {id: one, op: control.log, with: {message: first}}
  - {id: two, op: control.assert, with: {that: false, message: stop here}}
`)
	m := newManager(t, Config{StateDir: state, Warn: warn}, Limits{})
	first := wait(t, mustStart(t, m, Request{Path: path}))
	if err := os.Remove(filepath.Join(state, "report.key")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	warnings = nil
	mu.Unlock()
	m = newManager(t, Config{StateDir: state, Warn: warn}, Limits{})
	wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: first.RunID}))
	mu.Lock()
	defer mu.Unlock()
	var got string
	for _, w := range warnings {
		if strings.Contains(w, "--resume ") {
			got = w
		}
	}
	if !strings.Contains(got, "fails its check") || !strings.Contains(got, "signed with report key") || !strings.Contains(got, "replaced") || strings.Contains(got, "changed since") || strings.Contains(got, "changed after") {
		t.Errorf("warnings on resuming a run signed with the replaced key: %q", warnings)
	}
}
