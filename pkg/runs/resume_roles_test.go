package runs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestResumeKeepsTheRolesOfTheRunResumed: a resume carries over the
// outputs of the steps it reuses, so a caller whose roles could not read
// a file must not get its content by resuming (or rerunning part of) a run
// of a role that could. A resume with other roles is refused, naming both;
// with the same roles (in another order) it goes on.
func TestResumeKeepsTheRolesOfTheRunResumed(t *testing.T) {
	secret, pub := t.TempDir(), t.TempDir()
	key := filepath.Join(secret, "key.txt")
	if err := os.WriteFile(key, []byte("TOPSECRET-42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reg := newRegistry(t)
	dir := t.TempDir()
	policy, err := auth.ParsePolicy("policy.yaml", []byte("version: 1\nroles:\n"+
		"  boss: {allow: [\"*\"], file_roots: ["+secret+", "+pub+", "+dir+"]}\n"+
		"  audit: {max_risk: read, file_roots: ["+pub+"]}\n"+
		"  reader: {max_risk: read, file_roots: ["+pub+"]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{Registry: reg, Policy: policy, StateDir: t.TempDir()}, Limits{})
	path := filepath.Join(dir, "leak.yaml")
	if err := os.WriteFile(path, []byte(`version: 1
name: leak
inputs: {go: {type: bool, default: false}}
steps:
  - {id: read, op: file.read, with: {path: `+key+`}}
  - {id: check, op: control.assert, with: {that: "${{ inputs.go }}", message: not yet}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	boss := Caller{Name: "boss", Roles: []string{"boss", "audit"}, Trigger: TriggerCLI}
	first := wait(t, mustStart(t, m, Request{Path: path, Caller: boss}))
	if first.Status != "failed" {
		t.Fatalf("the first run %s", first.Status)
	}
	reader := Caller{Name: "reader", Roles: []string{"reader"}, Trigger: TriggerCLI}
	for _, req := range []Request{
		{Path: path, Caller: reader, ResumeFrom: first.RunID, Inputs: map[string]any{"go": true}},
		{Path: path, Caller: reader, ResumeFrom: first.RunID, Inputs: map[string]any{"go": true}, Selection: engine.Selection{Only: []string{"check"}}},
	} {
		h, err := m.Start(context.Background(), req)
		if err == nil {
			rep := wait(t, h)
			t.Fatalf("a reader resumed a boss's run: %s, read step output %v", rep.Status, rep.Steps[0].Output)
		}
		if msg := err.Error(); !strings.Contains(msg, "was started with roles audit, boss, and this run has reader") || !strings.Contains(msg, "same --role") {
			t.Errorf("refusal: %v", err)
		}
	}
	same := Caller{Name: "boss", Roles: []string{"audit", "boss"}, Trigger: TriggerCLI}
	again := wait(t, mustStart(t, m, Request{Path: path, Caller: same, ResumeFrom: first.RunID, Inputs: map[string]any{"go": true}}))
	if again.Status != "succeeded" || !again.Steps[0].Reused {
		t.Errorf("the same roles resuming: %s, read reused %v", again.Status, again.Steps[0].Reused)
	}
}
