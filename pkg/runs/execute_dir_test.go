package runs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestExecuteReadsNothingOutsideTheRoots: an execute has no playbook, so
// no playbook directory is readable beside the caller's file roots. The
// server's working directory (where its keys file and state dir may be)
// used to be: a read-only key read them through file.template's check
// mode and cluster.health's inventory, past file_roots.
func TestExecuteReadsNothingOutsideTheRoots(t *testing.T) {
	wd, allowed := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(wd, "keys.yaml"), []byte("secret-key-digest: e1fa4a4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(wd)
	reg := newRegistry(t)
	policy, err := auth.ParsePolicy("policy.yaml", []byte("version: 1\nroles:\n  reader: {max_risk: read, file_roots: ["+allowed+"]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{Registry: reg, Policy: policy}, Limits{})
	caller := Caller{Roles: []string{"reader"}, Name: "reader", Trigger: TriggerAPI}
	for _, tc := range []struct {
		op     string
		params map[string]any
	}{
		{"file.template", map[string]any{"src": "keys.yaml", "dest": filepath.Join(allowed, "out"), "check": true}},
		{"file.template", map[string]any{"src": filepath.Join(wd, "keys.yaml"), "dest": filepath.Join(allowed, "out"), "check": true}},
		{"cluster.health", map[string]any{"inventory": "keys.yaml"}},
	} {
		res, err := m.ExecuteOp(context.Background(), OpRequest{Op: tc.op, Params: tc.params, Caller: caller})
		if err != nil {
			t.Fatalf("%s: %v", tc.op, err)
		}
		if res.Error == nil {
			t.Errorf("%s %v: %s, want it refused: %v", tc.op, tc.params, res.Status, res.Output)
			continue
		}
		if strings.Contains(res.Error.Message, "e1fa4a4") || strings.Contains(fmt.Sprint(res.Output), "e1fa4a4") {
			t.Errorf("%s: the file's text came back: %s %v", tc.op, res.Error.Message, res.Output)
		}
		if res.Error.Class != string(ops.ClassAuthorization) {
			t.Errorf("%s %v: %s: %s, want an authorization error", tc.op, tc.params, res.Error.Class, res.Error.Message)
		}
	}
}

// TestStateDirIsNotTheCallersToRead: with a state dir inside the working
// directory (serve --state-dir st, as the quick start has it), a role
// without file_roots may touch the working directory, but not the state
// dir's session key, which would let it sign itself an admin session.
func TestStateDirIsNotTheCallersToRead(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	m := newManager(t, Config{StateDir: "st"}, Limits{})
	key := filepath.Join(wd, "st", "session.key")
	if err := os.WriteFile(key, []byte("secret-session-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	caller := Caller{Roles: []string{"viewer"}, Name: "viewer", Trigger: TriggerAPI}
	for _, path := range []string{"st/session.key", key} {
		res, err := m.ExecuteOp(context.Background(), OpRequest{Op: "file.read", Params: map[string]any{"path": path}, Caller: caller})
		if err != nil {
			t.Fatal(err)
		}
		if res.Error == nil || res.Error.Class != string(ops.ClassAuthorization) || strings.Contains(fmt.Sprint(res.Output), "secret") {
			t.Errorf("file.read %s: %s %v %+v, want it denied", path, res.Status, res.Output, res.Error)
		}
	}
	if err := os.WriteFile("notes.txt", []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := m.ExecuteOp(context.Background(), OpRequest{Op: "file.read", Params: map[string]any{"path": "notes.txt"}, Caller: caller})
	if err != nil || res.Error != nil {
		t.Errorf("file.read notes.txt in the working directory: %v %+v", err, res.Error)
	}
}

// TestPolicyFileIsNotTheCallersToWrite: a role that may write files in
// the working directory may not rewrite the policy file there, which the
// next reload would take in.
func TestPolicyFileIsNotTheCallersToWrite(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	if err := os.WriteFile("policy.yaml", []byte("version: 1\nroles:\n  writer: {max_risk: write}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reg := newRegistry(t)
	policy, err := auth.LoadPolicy("policy.yaml", reg)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{Registry: reg, Policy: policy}, Limits{})
	caller := Caller{Roles: []string{"writer"}, Name: "writer", Trigger: TriggerAPI}
	res, err := m.ExecuteOp(context.Background(), OpRequest{Op: "file.write", Params: map[string]any{"path": "policy.yaml", "content": "roles: {writer: {allow: ['*']}}"}, Caller: caller})
	if err != nil {
		t.Fatal(err)
	}
	if res.Error == nil || !strings.Contains(res.Error.Message, "policy file") {
		t.Errorf("file.write policy.yaml: %s %+v, want it denied", res.Status, res.Error)
	}
	if b, _ := os.ReadFile("policy.yaml"); !strings.Contains(string(b), "max_risk: write") {
		t.Errorf("the policy was rewritten: %s", b)
	}
}

// TestRunnerReadsNoStateDirKey: the files arsenal-run reads for a playbook
// itself (an input's from_file, --inputs) are no way into the state dir
// either: report.key would let a caller sign a report a grant trusts.
func TestRunnerReadsNoStateDirKey(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	m := newManager(t, Config{StateDir: "st"}, Limits{})
	key := filepath.Join(wd, "st", "report.key")
	pb := writePlaybook(t, "version: 1\nname: leak\ninputs:\n  k: {type: string, from_file: "+key+"}\nsteps:\n  - {id: s, op: control.log, with: {message: \"${{ inputs.k }}\"}}\n")
	h, err := m.Start(context.Background(), Request{Path: pb, Caller: Caller{Roles: []string{"viewer"}}})
	if err == nil {
		rep, _ := h.Wait(context.Background())
		if rep.Status == "succeeded" || !strings.Contains(fmt.Sprint(rep.Error), "state dir") {
			t.Errorf("from_file of the state dir's key: %s %+v", rep.Status, rep.Error)
		}
	} else if !strings.Contains(err.Error(), "state dir") {
		t.Errorf("from_file of the state dir's key: %v", err)
	}
	_, err = m.Start(context.Background(), Request{Path: pb, InputsFile: key, Caller: Caller{Roles: []string{"viewer"}}})
	if err == nil || !strings.Contains(err.Error(), "state dir") {
		t.Errorf("--inputs of the state dir's key: %v", err)
	}
}
